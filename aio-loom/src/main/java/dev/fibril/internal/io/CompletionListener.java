/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

/** An owner of descriptors that is not a parked fibril: a foreign-thread call or an I/O batch. Carrier thread only. */
public interface CompletionListener {
    void onCompletion(Descriptor descriptor);

    /**
     * One of several completions of a multishot request ({@link dev.fibril.aio.spi.IoRequest#more()}):
     * {@code descriptor} stays SUBMITTED and completes again. Only owners that submit multishot
     * requests get it; this default says that one came to an owner that did not.
     */
    default void onMoreCompletion(Descriptor descriptor, int result) {
        throw new IllegalStateException("a multishot completion for " + Descriptor.class.getSimpleName() + " "
                + descriptor.index() + ", whose owner submitted none");
    }

    /**
     * The carrier gave up on its ring with {@code descriptor} in flight: nothing will complete it.
     * Wake whoever waits; they throw the carrier's failure.
     */
    void onCarrierFailed(Descriptor descriptor);
}

package dev.fibril.internal.io;

/** An owner of descriptors that is not a parked fibril: a foreign-thread call or an I/O batch. Carrier thread only. */
public interface CompletionListener {
    void onCompletion(Descriptor descriptor);

    /**
     * The carrier gave up on its ring with {@code descriptor} in flight: nothing will complete it.
     * Wake whoever waits; they throw the carrier's failure.
     */
    void onCarrierFailed(Descriptor descriptor);
}

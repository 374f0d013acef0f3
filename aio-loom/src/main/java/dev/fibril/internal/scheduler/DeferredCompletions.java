/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;

import java.util.Arrays;

/**
 * Completions reaped while a submission waited for room in a full SQ, kept to be delivered by the
 * next reap: running their owners at once could submit in the middle of a linked pair or chain.
 * Each keeps its {@link IoRequest#more()} and {@link IoRequest#selectedBuffer()} as reaped: a
 * multishot request's later completion, reaped before delivery, sets them again. Owner thread only; grows, and keeps its size.
 */
final class DeferredCompletions implements CompletionSink {
    private IoRequest[] requests = new IoRequest[16];
    private int[] results = new int[16];
    private boolean[] more = new boolean[16];
    private int[] buffers = new int[16];
    private int count;

    @Override
    public void onCompletion(IoRequest request, int result) {
        if (count == requests.length) {
            requests = Arrays.copyOf(requests, count * 2);
            results = Arrays.copyOf(results, count * 2);
            more = Arrays.copyOf(more, count * 2);
            buffers = Arrays.copyOf(buffers, count * 2);
        }
        requests[count] = request;
        more[count] = request.more();
        buffers[count] = request.selectedBuffer();
        results[count++] = result;
    }

    /** Hands every kept completion to {@code sink}, which may defer more here: the loop sees them. */
    void deliverTo(CompletionSink sink) {
        for (int i = 0; i < count; i++) {
            IoRequest r = requests[i];
            requests[i] = null; // kept no longer than delivered
            r.more(more[i]);
            r.selectedBuffer(buffers[i]);
            sink.onCompletion(r, results[i]);
        }
        count = 0;
    }

    boolean isEmpty() {
        return count == 0;
    }
}

package dev.fibril.internal.scheduler;

import dev.fibril.aio.spi.CompletionSink;

import java.util.Arrays;

/**
 * Completions reaped while a submission waited for room in a full SQ, kept to be delivered by the
 * next reap: running their owners at once could submit in the middle of a linked pair or chain.
 * Owner thread only; grows, and keeps its size.
 */
final class DeferredCompletions implements CompletionSink {
    private long[] tokens = new long[16];
    private int[] results = new int[16];
    private int count;

    @Override
    public void onCompletion(long token, int result) {
        if (count == tokens.length) {
            tokens = Arrays.copyOf(tokens, count * 2);
            results = Arrays.copyOf(results, count * 2);
        }
        tokens[count] = token;
        results[count++] = result;
    }

    /** Hands every kept completion to {@code sink}, which may defer more here: the loop sees them. */
    void deliverTo(CompletionSink sink) {
        for (int i = 0; i < count; i++) {
            sink.onCompletion(tokens[i], results[i]);
        }
        count = 0;
    }

    boolean isEmpty() {
        return count == 0;
    }
}

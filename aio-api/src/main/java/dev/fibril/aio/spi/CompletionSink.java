package dev.fibril.aio.spi;

/** Receives reaped completions from {@link CompletionRing#reap}. Called on the ring's owner thread. */
@FunctionalInterface
public interface CompletionSink {
    /**
     * @param userData the request's {@link IoRequest#userData()}
     * @param result   {@code >= 0} on success (bytes, a new fd, or 0), {@code -errno} on failure
     */
    void onCompletion(long userData, int result);
}

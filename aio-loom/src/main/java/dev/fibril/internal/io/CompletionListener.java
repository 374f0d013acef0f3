package dev.fibril.internal.io;

/** An owner of descriptors that is not a parked fibril: a foreign-thread call or an I/O batch. Carrier thread only. */
public interface CompletionListener {
    void onCompletion(Descriptor descriptor);
}

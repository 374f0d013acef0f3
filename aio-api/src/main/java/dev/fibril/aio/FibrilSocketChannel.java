package dev.fibril.aio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ByteChannel;

/**
 * A stream socket driven by a Fibril runtime. {@link #read} returns as soon as some bytes arrived
 * (or -1 at end of stream); {@link #write} returns once every byte was handed to the kernel.
 */
public interface FibrilSocketChannel extends ByteChannel {

    /**
     * Connects to {@code remote}, parking until the connection is established.
     *
     * @throws java.nio.channels.AlreadyConnectedException if already connected
     * @throws java.nio.channels.UnsupportedAddressTypeException if not an {@link InetSocketAddress}
     * @throws ErrnoException for ECONNREFUSED and other kernel errors
     */
    void connect(SocketAddress remote) throws IOException;

    /**
     * Bounds every later {@link #read}: one that receives nothing within {@code timeout} throws
     * {@link java.net.SocketTimeoutException} and leaves the channel open. {@link java.time.Duration#ZERO}
     * (the default) waits without limit.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    FibrilSocketChannel readTimeout(java.time.Duration timeout);

    /** The read timeout; {@link java.time.Duration#ZERO} when reads wait without limit. */
    java.time.Duration readTimeout();

    /**
     * Sends {@code count} bytes of {@code file} from {@code position} (fewer at its end) and returns
     * how many were sent. With io_uring each chunk is a linked pair of SPLICE requests (file to a
     * per-carrier pipe, pipe to socket) that costs the fibril one park; elsewhere it reads and sends.
     *
     * @throws IllegalArgumentException if {@code position} or {@code count} is negative
     * @throws java.nio.channels.NonReadableChannelException if {@code file} was not opened for reading
     */
    long sendFile(FibrilFileChannel file, long position, long count) throws IOException;

    /** Half-closes the input: later reads return -1. */
    void shutdownInput() throws IOException;

    /** Half-closes the output: the peer reads end of stream once it has read what was sent. */
    void shutdownOutput() throws IOException;

    boolean isConnected();

    /** The local address, or null while unbound. */
    InetSocketAddress localAddress() throws IOException;

    /** The peer's address, or null while not connected. */
    InetSocketAddress remoteAddress() throws IOException;
}

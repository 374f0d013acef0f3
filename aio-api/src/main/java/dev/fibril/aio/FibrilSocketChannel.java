/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.ByteChannel;
import java.util.Set;

/**
 * A stream socket driven by a Fibril runtime. {@link #read} returns as soon as some bytes arrived
 * (or -1 at end of stream); {@link #write} returns once every byte was handed to the kernel.
 */
public interface FibrilSocketChannel extends ByteChannel {

    /**
     * Parks until bytes arrive and lends a pooled buffer holding them: position 0, limit the
     * number of bytes; returns null at end of stream. The buffer stays the caller's until
     * {@link #release}; one buffer at a time per channel. Where the kernel can pick the buffer
     * (io_uring's provided buffer rings) the receive holds none while it waits, so an idle
     * connection costs no buffer; elsewhere it waits for the socket to be readable, then takes a
     * buffer and reads. The buffers are the runtime's, per carrier (see
     * {@code FibrilRuntime.Builder.receiveBuffers}); when all are lent the receive waits for one to
     * come back (back-pressure: the bytes wait in the socket). The {@link #readTimeout} applies
     * to both waits, for bytes and for a buffer, and a close or an interrupt ends either. From a
     * fibril nothing is allocated; off a fibril the channel lends a buffer of its own, made once.
     *
     * @throws IllegalStateException if the buffer lent before was not released
     * @throws java.net.SocketTimeoutException if the read timeout passed (the channel stays open)
     * @throws java.nio.channels.ClosedChannelException if the channel is closed (an interrupt
     *         closes it, as for {@link #read})
     * @throws ErrnoException for ECONNRESET and other receive errors
     */
    java.nio.ByteBuffer receive() throws IOException;

    /**
     * Arms a receive and returns at once: when bytes arrive, the peer ends the stream, the receive
     * fails or the channel is closed, {@code then} runs on a fibril of the runtime, and there
     * {@link #receive()} returns at once with what arrived (null at the end of the stream, or throws
     * the failure). While it waits the channel holds neither a buffer nor a fibril: on io_uring the
     * kernel picks a buffer of the carrier's ring when bytes arrive; elsewhere the runtime waits
     * for the socket to be readable, and the receive in {@code then} takes a buffer and reads. The
     * fibril that runs {@code then} is one of its carrier's spares, so once they are warm a wait
     * allocates nothing. For servers with many idle connections, such as the Jetty connector.
     *
     * <p>Called off a fibril of the runtime, or on a backend that cannot wait for readability (the
     * simulated kernel), it starts {@code then} on a new fibril at once, whose receive waits as
     * usual. The read timeout does not bound the wait. If the runtime is closing when the receive
     * completes, {@code then} does not run; the channel's close gives back what it received.
     *
     * @throws IllegalStateException if the buffer {@link #receive} lent was not released, or the
     *         receive armed before is still waiting or its result was not taken by {@link #receive()}
     * @throws java.nio.channels.ClosedChannelException if the channel is closed
     * @throws java.nio.channels.NotYetConnectedException if the channel is not connected
     * @throws java.util.concurrent.RejectedExecutionException if the runtime is closing
     * @throws NullPointerException if {@code then} is null
     */
    void receiveLater(Runnable then) throws IOException;

    /**
     * Gives back the buffer {@link #receive} lent; the caller must not touch it afterwards. Any
     * thread, also after the channel was closed.
     *
     * @throws IllegalArgumentException if {@code buffer} is not the buffer lent by this channel's
     *         last receive, or was released already
     * @throws NullPointerException if {@code buffer} is null
     */
    void release(java.nio.ByteBuffer buffer);

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
     * @throws UnsupportedOperationException if {@code timeout} is not zero and the runtime's backend
     *         cannot bound a read (it has no LINK_TIMEOUT); the message names the backend
     */
    FibrilSocketChannel readTimeout(java.time.Duration timeout);

    /** The read timeout; {@link java.time.Duration#ZERO} when reads wait without limit. */
    java.time.Duration readTimeout();

    /**
     * Sends {@code count} bytes of {@code file} from {@code position} (fewer at its end) and returns
     * how many were sent. With io_uring each chunk is a SPLICE from the file into a pipe of this
     * call's own, then SPLICEs from the pipe to the socket, which the carrier submits as the previous
     * one completes: the fibril parks once for the whole call. Where the backend has no SPLICE, or
     * the carrier has as many calls with a pipe in flight as it keeps pipes for, it reads and sends.
     * Blocks until every byte is in the socket's send buffer (or the file ended).
     *
     * @throws java.nio.channels.ClosedByInterruptException if the calling thread is interrupted,
     *         also while it waits for a descriptor; this channel is then closed (the file stays open)
     * @throws java.nio.channels.AsynchronousCloseException if this channel or {@code file} is closed
     *         by another thread meanwhile
     * @throws IllegalArgumentException if {@code position} or {@code count} is negative
     * @throws java.nio.channels.NonReadableChannelException if {@code file} was not opened for reading
     */
    long sendFile(FibrilFileChannel file, long position, long count) throws IOException;

    /**
     * Sends what the kernel takes at once of {@code src}'s remaining bytes, never waiting for room
     * in the socket's send buffer, and advances its position; returns how many bytes it took, 0 when
     * the send buffer is full (then {@link #awaitWritable()}). A write for event-driven callers such
     * as a non-blocking protocol layer; works from any thread.
     *
     * @throws java.nio.channels.ClosedChannelException if the channel or its output is closed
     * @throws ErrnoException for EPIPE, ECONNRESET and other send errors
     */
    int tryWrite(java.nio.ByteBuffer src) throws IOException;

    /**
     * Sends every remaining byte of {@code srcs} without waiting for the send: copies them into a
     * buffer of the runtime's, submits the send and returns their count (the buffers' positions
     * advance; the caller may reuse them). It parks only where any call would: for a request
     * descriptor, at the carrier's bound. Takes nothing and returns 0 when that cannot be done now:
     * the bytes are more than {@link #sendLaterLimit()}, an earlier {@code sendLater} of this
     * channel is still in flight, the carrier's send buffers are all in use, or the caller is not a
     * fibril of this channel's runtime; the caller then writes as usual.
     *
     * <p>The bytes go out before those of any later output call: {@link #write},
     * {@link #awaitWritable} and {@link #sendFile} first wait (parking a fibril) until the send
     * completed; {@link #tryWrite}, which never waits, takes nothing until then; and
     * {@link #shutdownOutput} returns at once, its FIN sent after the send's bytes. If the send
     * failed, the next {@code write}, {@code tryWrite}, {@code awaitWritable}, {@code sendFile} or
     * {@code sendLater} throws its error, once ({@link ErrnoException}: EPIPE or ECONNRESET; EIO if
     * the carrier gave up its ring). A short send's rest is sent by the runtime.
     *
     * <p>The bytes were accepted, so closing the channel does not drop them, as close(2) does not
     * drop what a socket's buffer holds: the send goes on and the fd is closed once it is done, or
     * after 5 seconds, when a send that a peer does not take is cancelled and its rest is lost.
     *
     * @throws java.nio.channels.ClosedChannelException if the channel or its output is closed
     * @throws java.nio.channels.ClosedByInterruptException if the caller is interrupted while it
     *         waits for a descriptor; the channel is then closed
     * @throws ErrnoException for the failure of the send before, as above
     */
    int sendLater(java.nio.ByteBuffer... srcs) throws IOException;

    /** {@link #sendLater(java.nio.ByteBuffer...)} of one buffer, with no array made for it. */
    int sendLater(java.nio.ByteBuffer src) throws IOException;

    /** The most bytes one {@link #sendLater} takes. */
    int sendLaterLimit();

    /**
     * Parks (or blocks, off a fibril) until the socket is writable: room in its send buffer, or an
     * error or hang-up that the next send reports. Any thread.
     *
     * @throws java.nio.channels.AsynchronousCloseException if the channel is closed meanwhile
     * @throws UnsupportedOperationException if the backend cannot wait for writability
     *         ({@link #canAwaitWritable()} is false: the simulated kernel)
     */
    void awaitWritable() throws IOException;

    /** Whether {@link #awaitWritable()} works on this channel's backend (io_uring and epoll: yes). */
    boolean canAwaitWritable();

    /** Half-closes the input: later reads return -1. */
    void shutdownInput() throws IOException;

    /** Half-closes the output: the peer reads end of stream once it has read what was sent. */
    void shutdownOutput() throws IOException;

    boolean isConnected();

    /**
     * Sets a socket option, as {@link java.nio.channels.NetworkChannel#setOption} does. Supported:
     * {@link java.net.StandardSocketOptions#TCP_NODELAY}, {@link java.net.StandardSocketOptions#SO_KEEPALIVE},
     * {@link java.net.StandardSocketOptions#SO_RCVBUF} and {@link java.net.StandardSocketOptions#SO_SNDBUF},
     * before or after {@link #connect}, and on accepted sockets. A synchronous setsockopt(2): it
     * does not park, and a calling fibril keeps its carrier until the call returns.
     *
     * @return this channel
     * @throws NullPointerException if {@code name} or {@code value} is null
     * @throws UnsupportedOperationException if {@code name} is not among {@link #supportedOptions()}
     * @throws IllegalArgumentException if a buffer size is zero or negative, or (through a raw
     *         type) {@code value} is not of the option's type
     * @throws java.nio.channels.ClosedChannelException if the channel is closed
     * @throws ErrnoException if the kernel refuses the option
     */
    <T> FibrilSocketChannel setOption(SocketOption<T> name, T value) throws IOException;

    /**
     * The value of a socket option; the same options as {@link #setOption}, and it too is
     * synchronous. A boolean reads back as set. A buffer size is the kernel's figure, which need
     * not be the one set: Linux (the io_uring and epoll backends) doubles the request to leave room
     * for its bookkeeping, caps it at {@code net.core.rmem_max}/{@code wmem_max}, and tunes a
     * buffer nobody set; so SO_RCVBUF set to 64 KiB reads back as 128 KiB under the default caps. (java.nio halves the
     * figure on Linux; Fibril does not.) The simulated kernel reads back the value set.
     *
     * @throws NullPointerException if {@code name} is null
     * @throws UnsupportedOperationException if {@code name} is not among {@link #supportedOptions()}
     * @throws java.nio.channels.ClosedChannelException if the channel is closed
     * @throws ErrnoException if the kernel refuses the option
     */
    <T> T getOption(SocketOption<T> name) throws IOException;

    /** The options that {@link #setOption} and {@link #getOption} take, on every backend. Never throws. */
    Set<SocketOption<?>> supportedOptions();

    /** The local address, or null while unbound. */
    InetSocketAddress localAddress() throws IOException;

    /** The peer's address, or null while not connected. */
    InetSocketAddress remoteAddress() throws IOException;
}

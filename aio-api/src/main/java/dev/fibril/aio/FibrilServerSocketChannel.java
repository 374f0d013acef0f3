package dev.fibril.aio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.Channel;

/** A listening stream socket driven by a Fibril runtime. */
public interface FibrilServerSocketChannel extends Channel {

    /**
     * Binds to {@code local} and listens with the given backlog (at least 1).
     *
     * @throws IllegalArgumentException if {@code backlog} is below 1
     * @throws java.nio.channels.AlreadyBoundException if already bound
     * @throws ErrnoException for EADDRINUSE and other kernel errors
     */
    FibrilServerSocketChannel bind(SocketAddress local, int backlog) throws IOException;

    /**
     * Parks until a connection arrives and returns it.
     *
     * @throws java.nio.channels.NotYetBoundException if not bound
     */
    FibrilSocketChannel accept() throws IOException;

    /** The bound address (with the port the kernel chose for port 0), or null while unbound. */
    InetSocketAddress localAddress() throws IOException;
}

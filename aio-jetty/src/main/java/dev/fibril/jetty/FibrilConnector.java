/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Op;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty network connector whose accepts and socket I/O go through a {@link FibrilRuntime} and
 * its backend (io_uring, epoll, or the simulated kernel with its in-process sockets). It plugs in where a {@link org.eclipse.jetty.server.ServerConnector}
 * would, with Jetty's own connection factories (HTTP/1.1, h2c) unchanged:
 *
 * <pre>{@code
 * FibrilConnector connector = new FibrilConnector(server, runtime);
 * connector.setPort(8080);
 * server.addConnector(connector);
 * }</pre>
 *
 * <p>One fibril accepts; each connection gets a {@link FibrilEndPoint}. There are no acceptor or
 * selector threads, so the connector takes nothing from the server's thread pool budget.
 */
@ManagedObject("A connector on the Fibril runtime")
public class FibrilConnector extends AbstractNetworkConnector {
    /** The listen backlog unless {@link #setAcceptQueueSize} says otherwise. */
    public static final int DEFAULT_ACCEPT_QUEUE_SIZE = 1024;
    private static final Logger LOG = LoggerFactory.getLogger(FibrilConnector.class);

    private final FibrilRuntime runtime;
    private final LongAdder acceptedCount = new LongAdder();
    private final LongAdder sentFileBytes = new LongAdder();
    private volatile FibrilServerSocketChannel serverChannel;
    private volatile int localPort = -1;
    private volatile Thread acceptor;
    private int acceptQueueSize = DEFAULT_ACCEPT_QUEUE_SIZE;
    private boolean tcpNoDelay = true;
    private int inputBufferSize = 16 * 1024;
    private int sendBufferSize = -1;

    /** A connector for HTTP/1.1. */
    public FibrilConnector(Server server, FibrilRuntime runtime) {
        this(server, runtime, new HttpConnectionFactory());
    }

    /** A connector for the protocols of {@code factories}, the first being the default. */
    public FibrilConnector(Server server, FibrilRuntime runtime, ConnectionFactory... factories) {
        super(server, null, null, null, 0, factories);
        if (runtime == null) {
            throw new NullPointerException("runtime");
        }
        this.runtime = runtime;
    }

    public FibrilRuntime getRuntime() {
        return runtime;
    }

    @ManagedAttribute("the Fibril backend: io_uring, epoll or simulated")
    public String getBackend() {
        return runtime.backendName();
    }

    @ManagedAttribute("listen backlog")
    public int getAcceptQueueSize() {
        return acceptQueueSize;
    }

    public void setAcceptQueueSize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("acceptQueueSize must be positive: " + size);
        }
        this.acceptQueueSize = size;
    }

    @ManagedAttribute("TCP_NODELAY on accepted sockets")
    public boolean getAcceptedTcpNoDelay() {
        return tcpNoDelay;
    }

    public void setAcceptedTcpNoDelay(boolean on) {
        this.tcpNoDelay = on;
    }

    /** SO_SNDBUF of accepted sockets; -1 (the default) leaves the kernel's. */
    @ManagedAttribute("SO_SNDBUF of accepted sockets, -1 for the kernel's")
    public int getAcceptedSendBufferSize() {
        return sendBufferSize;
    }

    public void setAcceptedSendBufferSize(int size) {
        if (size == 0 || size < -1) {
            throw new IllegalArgumentException("acceptedSendBufferSize must be positive or -1: " + size);
        }
        this.sendBufferSize = size;
    }

    /**
     * No longer used: a connection receives into a buffer the runtime lends for as long as Jetty
     * takes to copy it out ({@code FibrilSocketChannel.receive()}), so its size is the runtime's
     * ({@code FibrilRuntime.Builder.receiveBuffers}); kept so that existing configuration still
     * loads.
     */
    @Deprecated
    @ManagedAttribute("unused: the runtime's receive buffers decide")
    public int getInputBufferSize() {
        return inputBufferSize;
    }

    /** No longer used; see {@link #getInputBufferSize()}. */
    @Deprecated
    public void setInputBufferSize(int size) {
        if (size < 512) {
            throw new IllegalArgumentException("inputBufferSize must be at least 512: " + size);
        }
        this.inputBufferSize = size;
    }

    @ManagedAttribute("connections accepted")
    public long getAcceptedConnections() {
        return acceptedCount.sum();
    }

    /** Bytes of {@link FibrilEndPoint#mapFile mapped files} sent with sendFile. */
    @ManagedAttribute("bytes sent with sendFile")
    public long getSentFileBytes() {
        return sentFileBytes.sum();
    }

    void sentFile(long bytes) {
        sentFileBytes.add(bytes);
    }

    /**
     * Listens on the configured host and port.
     *
     * @throws UnsupportedOperationException if the runtime's backend cannot wait for a socket to
     *         become writable (POLL_ADD), which the end points' non-blocking writes need (io_uring,
     *         epoll and the simulated kernel can)
     */
    @Override
    public void open() throws IOException {
        if (!runtime.backend().supports(Op.POLL_ADD)) {
            throw new UnsupportedOperationException("FibrilConnector needs a backend that waits for writability (POLL_ADD); "
                    + runtime.backendName() + " has none: use io_uring, epoll or simulated");
        }
        if (serverChannel == null) {
            String host = getHost();
            InetSocketAddress bind = host == null ? new InetSocketAddress(getPort()) : new InetSocketAddress(host, getPort());
            FibrilServerSocketChannel ch = runtime.openServerSocket();
            try {
                ch.bind(bind, acceptQueueSize);
                localPort = ch.localAddress().getPort();
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw new IOException("cannot listen on " + bind + " with Fibril's " + runtime.backendName()
                        + " backend: " + e.getMessage(), e);
            }
            serverChannel = ch;
        }
        super.open();
    }

    @Override
    public boolean isOpen() {
        FibrilServerSocketChannel ch = serverChannel;
        return ch != null && ch.isOpen();
    }

    /** Stops accepting; connections already open stay open. */
    @Override
    public void close() {
        FibrilServerSocketChannel ch = serverChannel;
        serverChannel = null;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.warn("closing {} failed", this, e);
            }
            localPort = -2;
        }
        super.close();
    }

    @Override
    public int getLocalPort() {
        return localPort;
    }

    /** The listening {@link FibrilServerSocketChannel}, or null when closed. */
    @Override
    public Object getTransport() {
        return serverChannel;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        acceptor = runtime.start(this::acceptLoop);
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop(); // closes the listening socket: the acceptor's ACCEPT is cancelled
        Thread a = acceptor;
        if (a != null) {
            a.join(Duration.ofSeconds(5));
            acceptor = null;
        }
        for (EndPoint ep : new ArrayList<>(getConnectedEndPoints())) {
            ep.close();
        }
    }

    /** Never called: connections are accepted by one fibril, not by acceptor threads. */
    @Override
    protected void accept(int acceptorID) {
        throw new UnsupportedOperationException("FibrilConnector accepts on a fibril, not on acceptor threads");
    }

    private void acceptLoop() {
        while (true) {
            FibrilServerSocketChannel ch = serverChannel;
            if (ch == null || !ch.isOpen()) {
                return;
            }
            FibrilSocketChannel socket;
            try {
                socket = ch.accept();
            } catch (IOException e) {
                if (!ch.isOpen()) {
                    return;
                }
                LOG.warn("accept on {} failed: {}", this, e.toString());
                backOff();
                continue;
            }
            acceptedCount.increment();
            try {
                opened(socket);
            } catch (Throwable t) {
                LOG.warn("could not open a connection on {}", this, t);
                try {
                    socket.close();
                } catch (IOException e) {
                    t.addSuppressed(e);
                }
            }
        }
    }

    private static void backOff() {
        try {
            Fibril.sleep(Duration.ofMillis(50)); // e.g. EMFILE: let connections close before trying again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void opened(FibrilSocketChannel socket) throws IOException {
        if (tcpNoDelay) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        if (sendBufferSize > 0) {
            socket.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferSize);
        }
        FibrilEndPoint endPoint = new FibrilEndPoint(this, socket);
        endPoint.setIdleTimeout(getIdleTimeout());
        Connection connection = getDefaultConnectionFactory().newConnection(this, endPoint);
        endPoint.setConnection(connection);
        endPoint.onOpen();
        onEndPointOpened(endPoint);
        try {
            connection.onOpen();
        } catch (RejectedExecutionException e) {
            endPoint.close(e);
        }
    }

    /** The end point closed: close its connection (as Jetty's selector does) and forget it. */
    void endPointClosed(FibrilEndPoint endPoint, Throwable cause) {
        try {
            Connection connection = endPoint.getConnection();
            if (connection != null) {
                connection.onClose(cause);
            }
        } catch (Throwable t) {
            LOG.warn("closing the connection of {} failed", endPoint, t);
        } finally {
            onEndPointClosed(endPoint);
        }
    }

    @Override
    public String toString() {
        return String.format("%s{%s,backend=%s}", super.toString(), getLocalPort(), runtime.backendName());
    }
}

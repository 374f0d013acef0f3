/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.channel;

import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Op;
import dev.fibril.internal.scheduler.CarrierGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.UnsupportedAddressTypeException;

/** {@link FibrilServerSocketChannel}: listen through the backend, ACCEPT requests through the ring. */
public final class ServerSocketChannelImpl extends AbstractChannel implements FibrilServerSocketChannel {
    /** Accepts through one multishot ACCEPT, where the backend has it; null otherwise. */
    private final MultishotAccept multishot;
    private volatile boolean bound;

    public ServerSocketChannelImpl(CarrierGroup group, int fd) throws ClosedChannelException {
        super(group, fd, "FibrilServerSocketChannel", ChannelOptions.SERVER_SOCKET);
        this.multishot = MultishotAccept.createIfSupported(handle);
    }

    @Override
    public synchronized FibrilServerSocketChannel bind(SocketAddress local, int backlog) throws IOException {
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, was " + backlog);
        }
        InetSocketAddress inet;
        if (local == null) {
            inet = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0);
        } else if (local instanceof InetSocketAddress a) {
            inet = a;
        } else {
            throw new UnsupportedAddressTypeException();
        }
        handle.begin();
        try {
            if (bound) {
                throw new AlreadyBoundException();
            }
            FdCalls.check(group().backend().listen(handle.fd(), inet, backlog), "listen on", inet);
            bound = true;
            return this;
        } finally {
            handle.end();
        }
    }

    @Override
    public FibrilSocketChannel accept() throws IOException {
        handle.begin();
        try {
            if (!bound) {
                throw new NotYetBoundException();
            }
            int fd = multishot != null ? multishot.accept() : -1;
            if (fd < 0) {
                fd = FdCalls.check(FdCalls.run(handle, FdCalls.begin(handle, Op.ACCEPT)), "accept");
            }
            SocketChannelImpl accepted;
            try {
                accepted = new SocketChannelImpl(group(), fd, true);
            } catch (ClosedChannelException e) {
                DescriptorCalls.close(group(), fd); // runtime closed between accept and registration
                throw e;
            }
            try {
                accepted.rememberPeer();
            } catch (RuntimeException | Error e) {
                accepted.close(); // a channel nobody was given must not keep its fd
                throw e;
            }
            return accepted;
        } finally {
            handle.end();
        }
    }

    @Override
    public <T> FibrilServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        setOptionValue(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return optionValue(name);
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        handle.ensureOpen();
        return bound ? backendLocalAddress() : null;
    }

    @Override
    void onClosed() {
        if (multishot != null) {
            multishot.onClose();
        }
    }

    @Override
    void describe(StringBuilder out) {
        out.append(bound ? ", bound" : "");
    }
}

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
import java.util.Set;

/** {@link FibrilServerSocketChannel}: listen through the backend, ACCEPT requests through the ring. */
public final class ServerSocketChannelImpl implements FibrilServerSocketChannel {
    private final ChannelCore core;
    /** Accepts through one multishot ACCEPT, where the backend has it; null otherwise. */
    private final MultishotAccept multishot;
    private volatile boolean bound;

    public ServerSocketChannelImpl(CarrierGroup group, int fd) throws ClosedChannelException {
        this.core = new ChannelCore(group, this, fd);
        this.multishot = MultishotAccept.createIfSupported(core);
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
        core.begin();
        try {
            if (bound) {
                throw new AlreadyBoundException();
            }
            ChannelCore.check(core.group().backend().listen(core.fd(), inet, backlog), "listen on", inet);
            bound = true;
            return this;
        } finally {
            core.end();
        }
    }

    @Override
    public FibrilSocketChannel accept() throws IOException {
        core.begin();
        try {
            if (!bound) {
                throw new NotYetBoundException();
            }
            int fd = multishot != null ? multishot.accept() : -1;
            if (fd < 0) {
                fd = ChannelCore.check(core.call(Op.ACCEPT, null, 0, 0, 0, 0, null), "accept");
            }
            try {
                return new SocketChannelImpl(core.group(), fd, true);
            } catch (ClosedChannelException e) {
                DescriptorCalls.close(core.group(), fd); // runtime closed between accept and registration
                throw e;
            }
        } finally {
            core.end();
        }
    }

    @Override
    public <T> FibrilServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        ChannelOptions.set(core, ChannelOptions.SERVER_SOCKET, name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return ChannelOptions.get(core, ChannelOptions.SERVER_SOCKET, name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return ChannelOptions.SERVER_SOCKET;
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        if (core.isClosed()) {
            throw new ClosedChannelException();
        }
        return bound ? core.group().backend().localAddress(core.fd()) : null;
    }

    @Override
    public boolean isOpen() {
        return !core.isClosed();
    }

    @Override
    public void close() {
        core.close();
        if (multishot != null) {
            multishot.onClose();
        }
    }

    @Override
    public String toString() {
        return "FibrilServerSocketChannel[fd " + core.fd() + (bound ? ", bound" : "") + (isOpen() ? "" : ", closed") + "]";
    }

}

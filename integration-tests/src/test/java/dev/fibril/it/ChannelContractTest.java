package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static java.net.StandardSocketOptions.SO_KEEPALIVE;
import static java.net.StandardSocketOptions.SO_LINGER;
import static java.net.StandardSocketOptions.SO_RCVBUF;
import static java.net.StandardSocketOptions.SO_REUSEADDR;
import static java.net.StandardSocketOptions.SO_SNDBUF;
import static java.net.StandardSocketOptions.TCP_NODELAY;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every backend must do for files and sockets, driven through the public API from fibrils.
 * Subclassed once per backend; a subclass skips only where its backend cannot run on this machine.
 */
abstract class ChannelContractTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path tempDir;
    FibrilRuntime rt;
    FibrilServerSocketChannel server;
    InetSocketAddress address;

    /** The backend's name for the builder. */
    abstract String backend();

    /** What getOption reads back for a buffer size of {@code set} bytes: Linux keeps (and reports) twice the request. */
    int bufferSizeReadBack(int set) {
        return 2 * set;
    }

    /** Whether the backend's sockets are the kernel's, which /proc and getsockopt(2) can see. */
    boolean kernelSockets() {
        return true;
    }

    /** Where this backend's files live: the temporary directory, or the simulated kernel's namespace. */
    Path file(String name) {
        return tempDir.resolve(name);
    }

    @BeforeEach
    void start() throws Exception {
        rt = Fibril.runtime().carriers(2).backend(backend()).strict(true).build();
        server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 128);
        address = server.localAddress();
    }

    @AfterEach
    void stop() {
        if (rt != null) {
            rt.close();
        }
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} in a fibril and rethrows what it threw. */
    void inFibril(Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = rt.start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertTrue(t.join(Duration.ofMinutes(2)), "fibril did not finish");
        if (failure.get() != null) {
            throw new AssertionError("fibril failed", failure.get());
        }
    }

    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < size; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }

    static void readFully(FibrilSocketChannel s, ByteBuffer dst) throws Exception {
        while (dst.hasRemaining()) {
            if (s.read(dst) < 0) {
                throw new AssertionError("end of stream with " + dst.remaining() + " bytes missing");
            }
        }
    }

    Thread echoServer() {
        return rt.start(() -> {
            try (FibrilSocketChannel s = server.accept()) {
                ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
                while (s.read(buf.clear()) >= 0) {
                    s.write(buf.flip());
                }
                s.shutdownOutput();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void shouldWriteReadPositionallyAndSeeEndOfFile() throws Exception {
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(file("positional"), READ, WRITE, CREATE)) {
                assertEquals(5, f.write(ByteBuffer.wrap("hello".getBytes()), 100));
                assertEquals(105, f.size());
                ByteBuffer direct = ByteBuffer.allocateDirect(5);
                assertEquals(5, f.read(direct, 100));
                byte[] got = new byte[5];
                direct.flip().get(got);
                assertArrayEquals("hello".getBytes(), got);
                ByteBuffer hole = ByteBuffer.allocate(4);
                assertEquals(4, f.read(hole, 0));
                assertArrayEquals(new byte[4], hole.array(), "a hole reads as zeros");
                assertEquals(-1, f.read(ByteBuffer.allocate(1), 105));
                f.force(true);
                f.force(false);
                f.truncate(3);
                assertEquals(3, f.size());
            }
        });
    }

    @Test
    void shouldMoveLargeHeapBuffersThroughShortTransfers() throws Exception {
        byte[] data = pattern(3 * MIB + 17, 1);
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(file("large"), READ, WRITE, CREATE)) {
                assertEquals(data.length, f.write(ByteBuffer.wrap(data), 0), "a write writes every byte");
                ByteBuffer back = ByteBuffer.allocate(data.length);
                while (back.hasRemaining()) {
                    int n = f.read(back, back.position());
                    assertTrue(n > 0, "read returned " + n);
                }
                assertArrayEquals(data, back.array());
            }
        });
    }

    @Test
    void shouldTransferSixtyFourMebibytesOverASocketIntact() throws Exception {
        Thread echo = echoServer();
        inFibril(() -> {
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            try (FibrilSocketChannel s = rt.openSocket()) {
                s.connect(address);
                Thread reader = rt.start(() -> {
                    try {
                        ByteBuffer in = ByteBuffer.allocateDirect(256 * 1024);
                        long total = 0;
                        int n;
                        while ((n = s.read(in.clear())) >= 0) {
                            in.flip();
                            received.update(in);
                            total += n;
                        }
                        assertEquals(64L * MIB, total);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                ByteBuffer chunk = ByteBuffer.allocate(MIB);
                for (int i = 0; i < 64; i++) {
                    byte[] block = pattern(MIB, i);
                    sent.update(block);
                    chunk.clear().put(block).flip();
                    s.write(chunk);
                }
                s.shutdownOutput();
                assertTrue(reader.join(Duration.ofMinutes(2)));
            }
            assertArrayEquals(sent.digest(), received.digest(), "64 MiB echoed byte for byte");
        });
        assertTrue(echo.join(Duration.ofSeconds(30)));
    }

    @Test
    void shouldSeeEndOfStreamAfterPeerHalfClosesAndStillSendBack() throws Exception {
        inFibril(() -> {
            try (FibrilSocketChannel client = rt.openSocket()) {
                client.connect(address);
                try (FibrilSocketChannel peer = server.accept()) {
                    client.write(ByteBuffer.wrap("ping".getBytes()));
                    client.shutdownOutput();
                    ByteBuffer got = ByteBuffer.allocate(4);
                    readFully(peer, got);
                    assertEquals(-1, peer.read(ByteBuffer.allocate(1)), "the peer sees end of stream");
                    peer.write(ByteBuffer.wrap("pong".getBytes()));
                    ByteBuffer reply = ByteBuffer.allocate(4);
                    readFully(client, reply);
                    assertArrayEquals("pong".getBytes(), reply.array(), "a half-closed socket still reads");
                }
            }
        });
    }

    @Test
    void shouldFailABlockedReadWithAsynchronousCloseWhenAnotherFibrilCloses() throws Exception {
        FibrilSocketChannel client = rt.openSocket();
        client.connect(address);
        FibrilSocketChannel peer = server.accept();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread reader = rt.start(() -> {
            try {
                client.read(ByteBuffer.allocate(8));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().until(() -> reader.getState() == Thread.State.WAITING);
        rt.start(() -> {
            try {
                client.close();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(reader.join(Duration.ofSeconds(30)));
        assertInstanceOf(AsynchronousCloseException.class, thrown.get());
        peer.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldCancelAndCloseOnInterruptWhileBlocked() throws Exception {
        FibrilSocketChannel client = rt.openSocket();
        client.connect(address);
        FibrilSocketChannel peer = server.accept();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread reader = rt.start(() -> {
            try {
                client.read(ByteBuffer.allocate(8));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().until(() -> reader.getState() == Thread.State.WAITING);
        reader.interrupt();
        assertTrue(reader.join(Duration.ofSeconds(30)));
        assertInstanceOf(ClosedByInterruptException.class, thrown.get());
        assertFalse(client.isOpen());
        peer.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldTimeOutAReadWithoutClosingTheChannel() throws Exception {
        assumeTrue(rt.backend().supports(Op.LINK_TIMEOUT), backend() + " has no LINK_TIMEOUT");
        inFibril(() -> {
            try (FibrilSocketChannel client = rt.openSocket()) {
                client.connect(address);
                try (FibrilSocketChannel peer = server.accept()) {
                    client.readTimeout(Duration.ofMillis(50));
                    try {
                        client.read(ByteBuffer.allocate(4));
                        throw new AssertionError("read returned without data");
                    } catch (SocketTimeoutException expected) {
                        assertTrue(expected.getMessage().contains("timed out"), expected.getMessage());
                    }
                    assertTrue(client.isOpen(), "a timed-out read leaves the channel open");
                    peer.write(ByteBuffer.wrap("late".getBytes()));
                    client.readTimeout(Duration.ofSeconds(30));
                    ByteBuffer got = ByteBuffer.allocate(4);
                    readFully(client, got);
                    assertArrayEquals("late".getBytes(), got.array());
                }
            }
        });
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldNotTimeOutAReadWhoseDataArrivesInTime() throws Exception {
        assumeTrue(rt.backend().supports(Op.LINK_TIMEOUT), backend() + " has no LINK_TIMEOUT");
        FibrilSocketChannel client = rt.openSocket();
        client.connect(address);
        FibrilSocketChannel peer = server.accept();
        client.readTimeout(Duration.ofSeconds(30));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        ByteBuffer got = ByteBuffer.allocate(8);
        Thread reader = rt.start(() -> {
            try {
                readFully(client, got.limit(4));
                readFully(client, got.limit(8)); // a second bounded read, after the first one's timer was disarmed
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().until(() -> reader.getState() == Thread.State.WAITING);
        peer.write(ByteBuffer.wrap("in t".getBytes()));
        await().until(() -> got.position() == 4 && reader.getState() == Thread.State.WAITING);
        peer.write(ByteBuffer.wrap("ime!".getBytes()));
        assertTrue(reader.join(Duration.ofSeconds(30)));
        if (thrown.get() != null) {
            throw new AssertionError("the bounded reads failed", thrown.get());
        }
        assertArrayEquals("in time!".getBytes(), got.array());
        assertTrue(client.isOpen());
        client.close();
        peer.close();
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldSendAFileRangeOverASocketByteExact() throws Exception {
        byte[] data = pattern(5 * MIB + 123, 7);
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        rt.meterBinder().bindTo(registry);
        inFibril(() -> {
            try (FibrilFileChannel f = rt.openFile(file("sendfile"), READ, WRITE, CREATE);
                 FibrilSocketChannel client = rt.openSocket()) {
                f.write(ByteBuffer.wrap(data), 0);
                client.connect(address);
                try (FibrilSocketChannel peer = server.accept()) {
                    long from = 1000;
                    Thread sender = rt.start(() -> {
                        try {
                            assertEquals(data.length - from, client.sendFile(f, from, Long.MAX_VALUE),
                                    "a count past the end sends up to the end of the file");
                            assertEquals(0, client.sendFile(f, data.length, 10), "nothing past the end");
                            client.shutdownOutput();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    ByteBuffer got = ByteBuffer.allocate(data.length - (int) from);
                    readFully(peer, got);
                    assertEquals(-1, peer.read(ByteBuffer.allocate(1)));
                    assertTrue(sender.join(Duration.ofMinutes(1)));
                    assertEquals(ByteBuffer.wrap(data, (int) from, data.length - (int) from), got.flip());
                }
            }
        });
        double splices = registry.get("fibril.completions").tags("op", "splice", "outcome", "ok").functionCounter().count();
        if (rt.backend().supports(Op.SPLICE)) {
            assertTrue(splices >= 2 * (data.length / (64 * 1024)), "sent through SPLICE chains: " + splices);
        } else {
            assertEquals(0, splices, "no SPLICE on this backend: read and send");
        }
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldAcceptManyConnectionsAndServeEach() throws Exception {
        int clients = 50;
        Thread acceptor = rt.start(() -> {
            for (int i = 0; i < clients; i++) {
                try {
                    FibrilSocketChannel s = server.accept();
                    rt.start(() -> {
                        try (s) {
                            ByteBuffer b = ByteBuffer.allocate(8);
                            readFully(s, b);
                            s.write(b.flip());
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }
        });
        inFibril(() -> {
            Thread[] ts = new Thread[clients];
            for (int i = 0; i < clients; i++) {
                long id = i;
                ts[i] = rt.start(() -> {
                    try (FibrilSocketChannel s = rt.openSocket()) {
                        s.connect(address);
                        s.write(ByteBuffer.allocate(8).putLong(0, id));
                        ByteBuffer back = ByteBuffer.allocate(8);
                        readFully(s, back);
                        assertEquals(id, back.getLong(0));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
            }
            for (Thread t : ts) {
                assertTrue(t.join(Duration.ofSeconds(60)));
            }
        });
        assertTrue(acceptor.join(Duration.ofSeconds(30)));
        await().until(() -> rt.stats().fibrilsAlive() == 0);
        assertEquals(0, rt.stats().descriptorsInUse());
    }

    @Test
    void shouldSetTcpNoDelayAndKeepAliveOnConnectedAndAcceptedSockets() throws Exception {
        inFibril(() -> {
            try (FibrilSocketChannel client = rt.openSocket()) {
                assertFalse(client.getOption(TCP_NODELAY), "Nagle is on for a new socket");
                assertFalse(client.getOption(SO_KEEPALIVE));
                assertSame(client, client.setOption(SO_KEEPALIVE, true));
                client.connect(address);
                assertTrue(client.getOption(SO_KEEPALIVE), "set before connect, kept through it");
                assertFalse(client.getOption(TCP_NODELAY), "SO_KEEPALIVE left TCP_NODELAY alone");
                client.setOption(TCP_NODELAY, true);
                assertTrue(client.getOption(TCP_NODELAY), "set on the connected socket");
                try (FibrilSocketChannel peer = server.accept()) {
                    assertFalse(peer.getOption(TCP_NODELAY), "the accepted socket has its own options");
                    assertFalse(peer.getOption(SO_KEEPALIVE));
                    peer.setOption(TCP_NODELAY, true).setOption(SO_KEEPALIVE, true);
                    assertTrue(peer.getOption(TCP_NODELAY), "set on the accepted socket");
                    assertTrue(peer.getOption(SO_KEEPALIVE));

                    client.write(ByteBuffer.wrap("ping".getBytes()));
                    ByteBuffer got = ByteBuffer.allocate(4);
                    readFully(peer, got);
                    assertArrayEquals("ping".getBytes(), got.array(), "the socket still carries data");

                    client.setOption(TCP_NODELAY, false);
                    assertFalse(client.getOption(TCP_NODELAY));
                    assertTrue(peer.getOption(TCP_NODELAY), "the peer's option is its own");
                }
            }
        });
    }

    @Test
    void shouldReadBackBufferSizesAsTheKernelKeepsThem() throws Exception {
        // Small sizes: below every default (so a set that did nothing shows) and below every cap.
        inFibril(() -> {
            try (FibrilSocketChannel client = rt.openSocket()) {
                client.setOption(SO_RCVBUF, 8192);
                client.connect(address);
                try (FibrilSocketChannel peer = server.accept()) {
                    peer.setOption(SO_SNDBUF, 6000);
                    assertEquals(bufferSizeReadBack(8192), client.getOption(SO_RCVBUF));
                    assertEquals(bufferSizeReadBack(6000), peer.getOption(SO_SNDBUF));
                }
            }
        });
    }

    @Test
    void shouldRejectUnsupportedOptionsAndOptionsOnClosedSockets() throws Exception {
        inFibril(() -> {
            FibrilSocketChannel client = rt.openSocket();
            client.connect(address);
            FibrilSocketChannel peer = server.accept();
            for (FibrilSocketChannel s : new FibrilSocketChannel[] {client, peer}) {
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                        () -> s.setOption(SO_REUSEADDR, true));
                assertTrue(e.getMessage().contains("SO_REUSEADDR"), e.getMessage());
                assertThrows(UnsupportedOperationException.class, () -> s.getOption(SO_LINGER));
                assertThrows(IllegalArgumentException.class, () -> s.setOption(SO_RCVBUF, 0));
            }
            client.close();
            peer.close();
            for (FibrilSocketChannel s : new FibrilSocketChannel[] {client, peer}) {
                assertThrows(ClosedChannelException.class, () -> s.setOption(TCP_NODELAY, true));
                assertThrows(ClosedChannelException.class, () -> s.getOption(TCP_NODELAY));
                assertThrows(ClosedChannelException.class, () -> s.getOption(SO_SNDBUF));
            }
        });
        await().until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    void shouldGiveAcceptedSocketsTheListenersReceiveBuffer() throws Exception {
        inFibril(() -> {
            try (FibrilServerSocketChannel small = rt.openServerSocket()) {
                assertEquals(Set.of(SO_RCVBUF), small.supportedOptions());
                assertSame(small, small.setOption(SO_RCVBUF, 8192));
                small.bind(new InetSocketAddress("127.0.0.1", 0), 4);
                assertEquals(bufferSizeReadBack(8192), small.getOption(SO_RCVBUF), "kept through bind");
                assertThrows(UnsupportedOperationException.class, () -> small.setOption(TCP_NODELAY, true));
                assertThrows(UnsupportedOperationException.class, () -> small.getOption(SO_REUSEADDR));
                assertThrows(IllegalArgumentException.class, () -> small.setOption(SO_RCVBUF, -1));
                try (FibrilSocketChannel client = rt.openSocket()) {
                    client.connect(small.localAddress());
                    try (FibrilSocketChannel peer = small.accept()) {
                        assertEquals(bufferSizeReadBack(8192), peer.getOption(SO_RCVBUF), "inherited from the listener");
                    }
                }
                small.close();
                assertThrows(ClosedChannelException.class, () -> small.setOption(SO_RCVBUF, 8192));
                assertThrows(ClosedChannelException.class, () -> small.getOption(SO_RCVBUF));
            }
        });
    }

    /** The check that does not trust the channel's own getOption: the kernel's socket, found through /proc. */
    @Test
    void shouldShowTcpNoDelayToTheKernelsOwnGetsockopt() throws Exception {
        assumeTrue(kernelSockets(), backend() + " sockets are not the kernel's");
        inFibril(() -> {
            try (FibrilSocketChannel client = rt.openSocket()) {
                client.connect(address);
                try (FibrilSocketChannel peer = server.accept()) {
                    int clientFd = KernelSockets.fdOf(client.localAddress(), client.remoteAddress());
                    int peerFd = KernelSockets.fdOf(peer.localAddress(), peer.remoteAddress());
                    assertEquals(0, KernelSockets.option(clientFd, Backend.IPPROTO_TCP, Backend.TCP_NODELAY));
                    assertEquals(0, KernelSockets.option(peerFd, Backend.IPPROTO_TCP, Backend.TCP_NODELAY));
                    client.setOption(TCP_NODELAY, true);
                    assertEquals(1, KernelSockets.option(clientFd, Backend.IPPROTO_TCP, Backend.TCP_NODELAY),
                            "the kernel sees TCP_NODELAY on the connected socket");
                    assertEquals(0, KernelSockets.option(peerFd, Backend.IPPROTO_TCP, Backend.TCP_NODELAY));
                    peer.setOption(TCP_NODELAY, true);
                    assertEquals(1, KernelSockets.option(peerFd, Backend.IPPROTO_TCP, Backend.TCP_NODELAY),
                            "the kernel sees TCP_NODELAY on the accepted socket");
                    assertTrue(client.getOption(TCP_NODELAY));
                }
            }
        });
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.Op;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static java.net.StandardSocketOptions.SO_KEEPALIVE;
import static java.net.StandardSocketOptions.SO_LINGER;
import static java.net.StandardSocketOptions.SO_RCVBUF;
import static java.net.StandardSocketOptions.SO_REUSEADDR;
import static java.net.StandardSocketOptions.SO_SNDBUF;
import static java.net.StandardSocketOptions.TCP_NODELAY;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Socket options: set and read back on connected, accepted and listening sockets, refused when unsupported or closed, and seen by the kernel. */
@ParameterizedClass
@EnumSource(ChannelBackend.class)
class SocketOptionContractTest extends ChannelContract {
    SocketOptionContractTest(ChannelBackend backend) {
        super(backend);
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

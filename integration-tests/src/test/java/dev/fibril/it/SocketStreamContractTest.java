/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.aio.FibrilSocketChannel;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Socket streams: 64 MiB intact, half-close, and many connections accepted and served. */
@ParameterizedClass
@EnumSource(ChannelBackend.class)
class SocketStreamContractTest extends ChannelContract {
    SocketStreamContractTest(ChannelBackend backend) {
        super(backend);
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
}

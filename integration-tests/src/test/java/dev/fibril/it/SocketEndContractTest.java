/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.aio.Errno;
import dev.fibril.aio.ErrnoException;
import dev.fibril.aio.FibrilSocketChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A channel whose connection has ended, by both FINs or by the peer's reset, as java.nio's: it is
 * still connected and open, knows its peer's address, shuts down without an error, and after a
 * reset every read and receive reports the reset again.
 */
@ParameterizedClass
@EnumSource(ChannelBackend.class)
class SocketEndContractTest extends ChannelContract {
    SocketEndContractTest(ChannelBackend backend) {
        super(backend);
    }

    @Test
    void shouldKeepThePeersAddressAndShutDownQuietlyAfterBothSidesClosed() throws Exception {
        inFibril(() -> {
            try (FibrilSocketChannel client = rt.openSocket()) {
                assertNull(client.remoteAddress(), "not connected yet");
                client.connect(address);
                InetSocketAddress serverEnd;
                try (FibrilSocketChannel accepted = server.accept()) {
                    serverEnd = accepted.remoteAddress();
                    assertEquals(client.localAddress(), serverEnd, "the accepted channel's peer is the client");
                    client.shutdownOutput();
                    assertEquals(-1, accepted.read(ByteBuffer.allocate(1)));
                    assertEquals(serverEnd, accepted.remoteAddress(), "after the peer's FIN");
                }
                assertEquals(-1, client.read(ByteBuffer.allocate(1)));
                assertTrue(client.isOpen() && client.isConnected());
                assertEquals(address, client.remoteAddress(), "after both FINs");
                client.shutdownInput();
                client.shutdownOutput();
                assertEquals(-1, client.read(ByteBuffer.allocate(1)));
            }
        });
    }

    @Test
    void shouldReportAResetToEveryReadAfterItAndShutDownQuietly() throws Exception {
        assumeTrue(kernelSockets(), "the simulated kernel's close sends no reset");
        inFibril(() -> {
            try (FibrilSocketChannel client = rt.openSocket()) {
                client.connect(address);
                try (FibrilSocketChannel accepted = server.accept()) {
                    assertEquals(2, client.write(ByteBuffer.wrap(new byte[] {1, 2})));
                    assertEquals(1, accepted.read(ByteBuffer.allocate(1)), "the first byte came, so the second has");
                } // closed with a byte unread: the kernel resets the connection
                ErrnoException first = assertThrows(ErrnoException.class, () -> client.read(ByteBuffer.allocate(8)));
                assertEquals(Errno.ECONNRESET, first.errno(), first.getMessage());
                ErrnoException again = assertThrows(ErrnoException.class, () -> client.read(ByteBuffer.allocate(8)));
                assertEquals(Errno.ECONNRESET, again.errno(), "a read after the reset: " + again.getMessage());
                ErrnoException received = assertThrows(ErrnoException.class, client::receive);
                assertEquals(Errno.ECONNRESET, received.errno(), "a receive after the reset: " + received.getMessage());
                assertTrue(client.isOpen() && client.isConnected());
                assertNotNull(client.remoteAddress(), "the peer's address outlives the connection");
                assertEquals(address, client.remoteAddress());
                client.shutdownOutput();
                client.shutdownInput();
            }
        });
    }
}

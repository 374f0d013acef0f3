/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * sendFile on io_uring, through its SPLICE chains; plus a close and an interrupt that land while a
 * chunk's head (file to pipe) is in the kernel and cannot be cancelled there (see
 * {@link UncancellableHeadBackend}): the call must end once the head completes, instead of going
 * on to a send that blocks for as long as the peer does not read.
 */
class IoUringSendFileTest extends SendFileContractTest {
    private UncancellableHeadBackend held;

    @BeforeAll
    static void requireIoUring() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
    }

    @Override
    String backend() {
        return "io_uring";
    }

    @Override
    FibrilRuntime.Builder builder() {
        return held == null ? super.builder() : Fibril.runtime().backend(held);
    }

    /** A sender blocked with its chunk's head held in the "kernel", its client reading nothing. */
    private Thread senderWithHeadInFlight(Connection c, AtomicReference<Throwable> thrown) throws Exception {
        FibrilFileChannel file = open(letterFile('H', 4 << 20));
        Thread sender = sendInCalls(c, file, 4 << 20, 4 << 20, thrown);
        await().atMost(BOUND).until(() -> held.headHeld() && sender.getState() == Thread.State.WAITING);
        return sender;
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldEndSendFileWithAsynchronousCloseWhenItsFileIsClosedWhileTheSendBlocks() throws Exception {
        start(b -> b);
        Connection c = new Connection(4096); // the client reads nothing: the pipe-to-socket splice blocks
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        FibrilFileChannel file = open(letterFile('F', 8 << 20));
        Thread sender = sendInCalls(c, file, 8 << 20, 8 << 20, thrown);
        await().atMost(BOUND).until(() -> sender.getState() == Thread.State.WAITING && rt.stats().descriptorsInUse() >= 1);

        file.close(); // from this (another) thread: the blocked send must be cancelled, not left to the peer
        assertTrue(sender.join(BOUND), "sendFile returned after its file was closed, though the client reads nothing");
        assertInstanceOf(AsynchronousCloseException.class, thrown.get(), "what sendFile threw");
        await().atMost(BOUND).until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldEndSendFileWithAsynchronousCloseWhenClosedWhileTheHeadSpliceIsInTheKernel() throws Exception {
        held = new UncancellableHeadBackend(new IoUringBackend());
        start(b -> b);
        Connection c = new Connection(4096); // far less than a chunk: a send would block
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread sender = senderWithHeadInFlight(c, thrown);

        c.sender.close(); // from this (another) thread, while the head is in flight
        assertTrue(sender.join(BOUND), "sendFile returned after the close, though the client reads nothing");
        assertTrue(held.cancelAimedAtHead(), "the close cancelled the chain's head");
        assertInstanceOf(AsynchronousCloseException.class, thrown.get(), "what sendFile threw");
        assertFalse(c.sender.isOpen());
        await().atMost(BOUND).until(() -> rt.stats().descriptorsInUse() == 0);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldEndSendFileWithClosedByInterruptWhenInterruptedWhileTheHeadSpliceIsInTheKernel() throws Exception {
        held = new UncancellableHeadBackend(new IoUringBackend());
        start(b -> b);
        Connection c = new Connection(4096); // far less than a chunk: a send would block
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread sender = senderWithHeadInFlight(c, thrown);

        sender.interrupt();
        assertTrue(sender.join(BOUND), "sendFile returned after the interrupt, though the client reads nothing");
        assertTrue(held.cancelAimedAtHead(), "the interrupt cancelled the chain's head");
        assertInstanceOf(ClosedByInterruptException.class, thrown.get(), "what sendFile threw");
        assertFalse(c.sender.isOpen(), "an interrupt closes the channel, as in java.nio");
        await().atMost(BOUND).until(() -> rt.stats().descriptorsInUse() == 0);
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.linux.LinuxConstants;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Sockets in each state: what listen, SHUTDOWN, RECV and POLL_ADD answer on a new, listening,
 * connected, reset or closed socket, and the errors Linux names for the calls it refuses.
 */
public abstract class SocketStateContract extends BackendFixture {
    private static final int POLLIN = IoRequest.POLLIN;
    private static final int POLLOUT = IoRequest.POLLOUT;
    private static final int POLLERR = 0x8;
    private static final int POLLHUP = 0x10;

    protected SocketStateContract(BackendKind kind) {
        super(kind);
    }

    /** The events of a completed POLL_ADD that it was asked for, with POLLERR and POLLHUP, which are never asked. */
    private int events(IoRequest poll, int result) {
        return result < 0 ? result : result & (poll.opFlags() | POLLERR | POLLHUP);
    }

    private int runPoll(int fd, int events) {
        IoRequest poll = poll(fd, events);
        return events(poll, driver.run(poll));
    }

    private int completePoll(IoRequest poll) {
        return events(poll, driver.complete(poll));
    }

    private IoRequest poll(int fd, int events) {
        return driver.withOpFlags(driver.request(Op.POLL_ADD, fd, null, 0, 0, 0), events);
    }

    private IoRequest shutdown(int fd, int how) {
        return driver.withOpFlags(driver.request(Op.SHUTDOWN, fd, null, 0, 0, 0), how);
    }

    @Test
    void shouldRefuseListenOnATakenPortUntilItIsFree() {
        int first = listener("127.0.0.1", 4);
        InetSocketAddress taken = backend.localAddress(first);
        int second = socket();
        assertEquals(-Errno.EADDRINUSE, backend.listen(second, taken, 4));
        closeNow(first);
        assertEquals(0, backend.listen(second, taken, 4));
        assertEquals(taken, backend.localAddress(second));
    }

    @Test
    void shouldRefuseListenOnABadDescriptorOrAnAddressNotOfThisHost() {
        assertEquals(-Errno.EBADF, backend.listen(1 << 20, new InetSocketAddress("127.0.0.1", 0), 4));
        assertEquals(-Errno.EADDRNOTAVAIL, backend.listen(socket(), new InetSocketAddress("192.0.2.1", 0), 4));
        int[] pair = connectedPair();
        assertEquals(-Errno.EINVAL, backend.listen(pair[0], new InetSocketAddress("127.0.0.1", 0), 1), "connected");
        int server = listener("127.0.0.1", 1);
        assertEquals(-Errno.EINVAL, backend.listen(server, new InetSocketAddress("127.0.0.1", 0), 1), "listening already");
    }

    @Test
    void shouldRefuseCallsThatNeedAConnectionOnANewSocket() {
        int fresh = socket();
        assertEquals(-Errno.ENOTCONN, driver.run(recv(fresh, 4)));
        assertEquals(-Errno.ENOTCONN, driver.run(shutdown(fresh, IoRequest.SHUT_WR)));
        assertEquals(-Errno.EINVAL, driver.run(driver.request(Op.ACCEPT, fresh, null, 0, 0, 0)), "not listening");
        if (kind.has(Capability.LISTENER_RECV_ENOTCONN)) {
            assertEquals(-Errno.ENOTCONN, driver.run(recv(listener("127.0.0.1", 1), 4)), "a listener has no peer");
        }
    }

    @Test
    void shouldRefuseSendAndFsyncOnANewSocketAsTheEmulationDefines() {
        require(Capability.EMULATED_SOCKET_STATES);
        int fresh = socket();
        assertEquals(-Errno.ENOTCONN, driver.run(driver.request(Op.SEND, fresh, ByteBuffer.allocate(4), 0, 4, 0)));
        assertEquals(-Errno.EINVAL, driver.run(driver.request(Op.FSYNC, fresh, null, 0, 0, 0)));
        assertEquals(POLLOUT | POLLHUP, driver.run(poll(fresh, POLLIN | POLLOUT)), "poll(2) on a fresh socket");
    }

    @Test
    void shouldRefuseAShutdownOfUnknownHow() {
        int[] pair = connectedPair();
        assertEquals(-Errno.EINVAL, driver.run(shutdown(pair[0], 7)));
        assertEquals(0, driver.run(shutdown(pair[0], IoRequest.SHUT_RDWR)));
    }

    @Test
    void shouldEndAWaitingRecvAtItsOwnShutdownOfInput() {
        int[] pair = connectedPair();
        IoRequest recv = driver.submit(recv(pair[1], 8));
        assertFalse(driver.isComplete(recv));
        assertEquals(0, driver.run(shutdown(pair[1], IoRequest.SHUT_RD)));
        assertEquals(0, driver.complete(recv));
    }

    @Test
    void shouldResetAConnectionTheListenerNeverAcceptedWhenItCloses() {
        int server = listener("127.0.0.1", 4);
        int client = socket();
        assertEquals(0, driver.run(driver.connect(client, backend.localAddress(server))));
        IoRequest readable = driver.submit(poll(client, POLLIN));
        IoRequest recv = driver.submit(recv(client, 8));
        closeNow(server);
        int events = completePoll(readable);
        assertEquals(POLLIN, events & POLLIN, "a RECV would return at once");
        if (kind.has(Capability.EXACT_HANGUP_EVENTS)) {
            assertEquals(POLLIN | POLLERR | POLLHUP, events);
        }
        assertEquals(-Errno.ECONNRESET, driver.complete(recv));
    }

    @Test
    void shouldReportReadinessOnceDataArrivesAndWritabilityAtOnce() {
        int[] pair = connectedPair();
        IoRequest readable = driver.submit(poll(pair[1], POLLIN));
        driver.pollOnce();
        assertFalse(driver.isComplete(readable), "nothing to read yet");
        assertEquals(3, send(pair[0], "abc"));
        assertEquals(POLLIN, completePoll(readable));
        assertEquals(POLLIN | POLLOUT, runPoll(pair[1], POLLIN | POLLOUT), "ready at once while bytes wait");
        assertEquals(POLLOUT, runPoll(pair[0], POLLOUT), "an empty peer inbox has room");
    }

    @Test
    void shouldReportEndOfStreamAsReadableAndAGonePeerAsHangUp() {
        int[] pair = connectedPair();
        IoRequest readable = driver.submit(poll(pair[1], POLLIN));
        assertEquals(0, driver.run(shutdown(pair[0], IoRequest.SHUT_WR)));
        assertEquals(POLLIN, completePoll(readable), "a RECV would return 0 now");
        closeNow(pair[0]);
        int events = runPoll(pair[1], POLLIN | POLLOUT);
        assertEquals(POLLIN | POLLOUT, events & (POLLIN | POLLOUT), "the peer is gone: a RECV returns 0, a SEND fails");
        if (kind.has(Capability.EXACT_HANGUP_EVENTS)) {
            assertEquals(POLLIN | POLLOUT | POLLHUP, events);
        }
    }

    @Test
    void shouldWaitOnAListenerUntilAConnectionCanBeAccepted() {
        int server = listener("127.0.0.1", 4);
        IoRequest acceptable = driver.submit(poll(server, POLLIN));
        assertFalse(driver.isComplete(acceptable));
        int client = socket();
        assertEquals(0, driver.run(driver.connect(client, backend.localAddress(server))));
        assertEquals(POLLIN, completePoll(acceptable));
        track(driver.run(driver.request(Op.ACCEPT, server, null, 0, 0, 0)));
    }

    @Test
    void shouldCancelAWaitingPollOnAsyncCancelAndOnClose() {
        int[] pair = connectedPair();
        IoRequest cancelled = driver.submit(poll(pair[1], POLLIN));
        assertEquals(0, driver.run(driver.cancelOf(cancelled)));
        assertEquals(-Errno.ECANCELED, driver.complete(cancelled));
        IoRequest closed = driver.submit(poll(pair[1], POLLIN));
        assertFalse(driver.isComplete(closed));
        closeNow(pair[1]);
        assertEquals(-Errno.ECANCELED, driver.complete(closed));
    }

    @Test
    void shouldRefuseAPollForNothing() {
        require(Capability.EMULATED_SOCKET_STATES);
        int[] pair = connectedPair();
        assertEquals(-Errno.EINVAL, driver.run(poll(pair[0], 0)));
    }
}

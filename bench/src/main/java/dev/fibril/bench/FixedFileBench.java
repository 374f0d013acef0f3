/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringRing;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What registered (fixed) files save per socket request, straight on an {@link IoUringRing}, no
 * fibril: the same requests on the same loopback TCP sockets, naming each socket by its fd or
 * ({@code fixed} true) by its index in the ring's registered files, which skips the kernel's file
 * lookup and reference count. {@code sendFull}: 64 SENDs with MSG_DONTWAIT per io_uring_enter to
 * a socket whose send buffer is full, each completing -EAGAIN at once (the cheapest request that
 * looks its socket up). {@code roundTrip}: a 64 B SEND on one end and the RECV of it on the other,
 * per io_uring_enter (the two requests of an echo).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.OPENS, BenchJvm.NATIVE, BenchJvm.EXPORTS, BenchJvm.XMS, BenchJvm.XMX, BenchJvm.PRETOUCH})
public class FixedFileBench {
    static final int BATCH = 64;
    private static final int CLIENT = 0;
    private static final int SERVER = 1;
    private static final int FULL = 2;

    @Param({"false", "true"})
    public boolean fixed;

    private IoUringBackend backend;
    private IoUringRing ring;
    private final int[] fds = new int[3];
    private int[] names;
    private final IoRequest[] requests = new IoRequest[BATCH];
    private final ByteBuffer out = ByteBuffer.allocateDirect(64);
    private final ByteBuffer in = ByteBuffer.allocateDirect(64);
    private int reaped;
    private int lastResult;
    private final CompletionSink sink = (request, result) -> {
        reaped++;
        lastResult = result;
    };

    @Setup(Level.Trial)
    public void setUp() {
        backend = new IoUringBackend();
        ring = backend.openRing(0);
        for (int i = 0; i < BATCH; i++) {
            requests[i] = new IoRequest();
        }
        int listener = check(backend.socket(), "socket");
        check(backend.listen(listener, new InetSocketAddress("127.0.0.1", 0), 4), "listen");
        InetSocketAddress address = backend.localAddress(listener);
        int[] pair = connect(listener, address);
        fds[CLIENT] = pair[0];
        fds[SERVER] = pair[1];
        int[] full = connect(listener, address);
        fds[FULL] = full[0]; // its peer never reads
        backend.close(listener);
        ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
        while (submitOne(Op.SEND, fds[FULL], 0, chunk, IoRequest.SEND_DONTWAIT) > 0) {
            // fill the send buffer and the peer's receive buffer
        }
        check(ring.registerFiles(fds), "register files");
        names = fixed ? new int[] {CLIENT, SERVER, FULL} : fds.clone();
        if (sendFull() != -Errno.EAGAIN) {
            throw new IllegalStateException("the full socket took a send");
        }
        if (roundTrip() != 64) {
            throw new IllegalStateException("the round trip did not carry 64 bytes");
        }
    }

    private int[] connect(int listener, InetSocketAddress address) {
        int client = check(backend.socket(), "socket");
        IoRequest accept = requests[0];
        IoRequest connect = requests[1];
        accept.prepare(Op.ACCEPT, listener, null, 0, 0, 0);
        connect.prepare(Op.CONNECT, client, null, 0, 0, 0);
        connect.address(address);
        int[] results = new int[2];
        ring.enqueue(accept);
        ring.enqueue(connect);
        ring.flush();
        int got = 0;
        while (got < 2) {
            int n = ring.reap((r, result) -> results[r == accept ? 0 : 1] = result, 2 - got);
            if (n == 0) {
                ring.await(-1);
            }
            got += n;
        }
        check(results[1], "connect");
        return new int[] {client, check(results[0], "accept")};
    }

    private int submitOne(byte op, int fd, int flags, ByteBuffer buffer, int opFlags) {
        IoRequest r = requests[0];
        r.prepare(op, fd, buffer, 0, buffer.capacity(), 0);
        r.flags(flags);
        r.opFlags(opFlags);
        ring.enqueue(r);
        ring.flush();
        reaped = 0;
        while (reaped < 1) {
            if (ring.reap(sink, 1) == 0) {
                ring.await(-1);
            }
        }
        return lastResult;
    }

    private static int check(int result, String what) {
        if (result < 0) {
            throw new IllegalStateException(what + " failed: " + Errno.name(-result));
        }
        return result;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ring.close(); // drops the registered files' references first
        for (int fd : fds) {
            backend.close(fd);
        }
        backend.close();
    }

    /** 64 SENDs to the full socket, one enter; each -EAGAIN. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int sendFull() {
        int flags = fixed ? IoRequest.FLAG_FIXED_FILE : 0;
        for (int i = 0; i < BATCH; i++) {
            IoRequest r = requests[i];
            r.prepare(Op.SEND, names[FULL], out, 0, 64, 0);
            r.flags(flags);
            r.opFlags(IoRequest.SEND_DONTWAIT);
            ring.enqueue(r);
        }
        ring.flush();
        reaped = 0;
        while (reaped < BATCH) {
            if (ring.reap(sink, BATCH - reaped) == 0) {
                ring.await(-1);
            }
        }
        return lastResult;
    }

    /** A 64 B SEND and the RECV of it, one enter (two requests). */
    @Benchmark
    public int roundTrip() {
        int flags = fixed ? IoRequest.FLAG_FIXED_FILE : 0;
        IoRequest send = requests[0];
        IoRequest recv = requests[1];
        send.prepare(Op.SEND, names[CLIENT], out, 0, 64, 0);
        send.flags(flags);
        recv.prepare(Op.RECV, names[SERVER], in, 0, 64, 0);
        recv.flags(flags);
        ring.enqueue(send);
        ring.enqueue(recv);
        ring.flush();
        reaped = 0;
        while (reaped < 2) {
            if (ring.reap(sink, 2 - reaped) == 0) {
                ring.await(-1);
            }
        }
        return lastResult;
    }
}

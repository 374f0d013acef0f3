/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Socket work: an echo server on the runtime (one fibril per connection, receiving into lent
 * buffers) and client fibrils that connect, send seeded messages of 1 byte to 8 KiB and check
 * that every echo comes back byte for byte, over connections of a few messages each.
 */
final class EchoWork {
    private static final int MAX_MESSAGE = 8 * 1024;

    private final FibrilRuntime rt;
    private final Tally tally;
    private final AtomicBoolean stop;
    private final Set<FibrilSocketChannel> accepted = ConcurrentHashMap.newKeySet();
    private final List<Thread> clients = new CopyOnWriteArrayList<>();
    /** The acceptor and one fibril per accepted connection. */
    private final List<Thread> serverSide = new CopyOnWriteArrayList<>();
    private FibrilServerSocketChannel server;

    EchoWork(FibrilRuntime rt, Tally tally, AtomicBoolean stop) {
        this.rt = rt;
        this.tally = tally;
        this.stop = stop;
    }

    /** Binds the server and starts its acceptor and {@code clientCount} client fibrils. */
    void start(int clientCount, long seed, Victims victims) throws IOException {
        server = rt.openServerSocket().bind(new InetSocketAddress("127.0.0.1", 0), 512);
        InetSocketAddress address = server.localAddress();
        serverSide.add(rt.start(this::acceptLoop));
        for (int i = 0; i < clientCount; i++) {
            SplittableRandom random = new SplittableRandom(seed * 31 + i);
            Victims.Victim[] self = new Victims.Victim[1];
            Thread t = rt.start(() -> clientLoop(address, random, self));
            self[0] = victims.register(t);
            clients.add(t);
        }
    }

    /** The client fibrils. */
    List<Thread> clients() {
        return clients;
    }

    /** The acceptor and the server's connection fibrils started so far. */
    List<Thread> serverSide() {
        return List.copyOf(serverSide);
    }

    /** Closes the server and the connections it accepted: their fibrils then end. */
    void closeServer() throws IOException {
        if (server != null) {
            server.close();
        }
        for (FibrilSocketChannel c : accepted) {
            c.close();
        }
    }

    /** Accepts until the server closes (not at the stop flag: a client may have connected just before it). */
    private void acceptLoop() {
        while (true) {
            FibrilSocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return; // closed: the round is ending
            }
            accepted.add(ch);
            try {
                serverSide.add(rt.start(() -> serve(ch)));
            } catch (RejectedExecutionException e) {
                close(ch); // the runtime is closing
                return;
            }
        }
    }

    /** Echoes what arrives until the peer closes; errors end the connection, as a server's would. */
    private void serve(FibrilSocketChannel ch) {
        try (ch) {
            ByteBuffer got;
            while ((got = ch.receive()) != null) {
                try {
                    while (got.hasRemaining()) {
                        ch.write(got);
                    }
                } finally {
                    ch.release(got);
                }
            }
        } catch (IOException e) {
            // a reset or closed connection: the client counts its side
        } catch (RuntimeException e) {
            tally.fail("echo server fibril threw " + e);
        } finally {
            accepted.remove(ch);
        }
    }

    private void clientLoop(InetSocketAddress address, SplittableRandom random, Victims.Victim[] self) {
        while (!stop.get()) {
            Thread.interrupted(); // an interrupt of the last connection is spent; this one starts clean
            FibrilSocketChannel ch;
            try {
                ch = rt.openSocket();
            } catch (IOException e) {
                tally.cleanErrors.increment();
                if (stop.get()) {
                    return;
                }
                continue;
            }
            Victims.Victim v = self[0];
            if (v != null) {
                v.channel = ch;
            }
            try (ch) {
                ch.connect(address);
                int messages = 1 + random.nextInt(20);
                for (int m = 0; m < messages && !stop.get(); m++) {
                    exchange(ch, random);
                }
            } catch (IOException e) {
                tally.cleanErrors.increment(); // interrupted, closed from outside, reset, or the runtime closing
            } catch (RuntimeException e) {
                tally.fail("echo client threw " + e);
            } finally {
                if (v != null) {
                    v.channel = null;
                }
            }
        }
    }

    private void exchange(FibrilSocketChannel ch, SplittableRandom random) throws IOException {
        byte[] message = new byte[1 + random.nextInt(MAX_MESSAGE)];
        random.nextBytes(message);
        ByteBuffer out = ByteBuffer.wrap(message);
        while (out.hasRemaining()) {
            ch.write(out);
        }
        ByteBuffer in = ByteBuffer.allocate(message.length);
        while (in.hasRemaining()) {
            if (ch.read(in) < 0) {
                throw new java.io.EOFException("the echo ended after " + in.position() + " of " + message.length + " bytes");
            }
        }
        if (!Arrays.equals(message, in.array())) {
            tally.fail("echo of " + message.length + " bytes came back different (first difference at byte "
                    + Arrays.mismatch(message, in.array()) + ")");
        }
        tally.exchanges.increment();
        tally.bytes.add(message.length);
    }

    private static void close(FibrilSocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing is all that was left
        }
    }
}

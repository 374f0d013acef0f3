/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.soak;

import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * File work: each fibril owns a file and a model of what it must hold, and does seeded positional
 * writes, reads (checked against the model), size checks, truncations and forces. A call that
 * fails (interrupted, closed from outside, an injected EIO) leaves the file's content unknown, so
 * the fibril reopens it truncated and starts its model again.
 */
final class FileWork {
    private static final int MAX_LENGTH = 256 * 1024;
    private static final int MAX_IO = 16 * 1024;

    private final FibrilRuntime rt;
    private final Tally tally;
    private final AtomicBoolean stop;
    private final List<Thread> fibrils = new CopyOnWriteArrayList<>();

    FileWork(FibrilRuntime rt, Tally tally, AtomicBoolean stop) {
        this.rt = rt;
        this.tally = tally;
        this.stop = stop;
    }

    void start(Path dir, int workers, long seed, Victims victims) {
        for (int i = 0; i < workers; i++) {
            Path file = dir.resolve("soak-" + i + ".bin");
            SplittableRandom random = new SplittableRandom(seed * 17 + i);
            Victims.Victim[] self = new Victims.Victim[1];
            Thread t = rt.start(() -> loop(file, random, self));
            self[0] = victims.register(t);
            fibrils.add(t);
        }
    }

    List<Thread> fibrils() {
        return fibrils;
    }

    private void loop(Path file, SplittableRandom random, Victims.Victim[] self) {
        byte[] model = new byte[MAX_LENGTH];
        while (!stop.get()) {
            Thread.interrupted(); // a spent interrupt of the last channel
            FibrilFileChannel ch;
            try {
                ch = rt.openFile(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
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
                int length = 0;
                while (!stop.get()) {
                    length = step(ch, model, length, random);
                    tally.fileOps.increment();
                }
            } catch (IOException e) {
                tally.cleanErrors.increment(); // the content is unknown now: reopened truncated
            } catch (RuntimeException e) {
                tally.fail("file worker threw " + e);
            } finally {
                if (v != null) {
                    v.channel = null;
                }
            }
        }
    }

    /** One seeded operation on {@code ch}, whose content must equal {@code model[0, length)}; returns the new length. */
    private int step(FibrilFileChannel ch, byte[] model, int length, SplittableRandom random) throws IOException {
        int op = random.nextInt(10);
        if (op < 5) { // write somewhere in [0, length], perhaps extending the file
            int at = random.nextInt(length + 1);
            int n = Math.min(1 + random.nextInt(MAX_IO), MAX_LENGTH - at);
            if (n == 0) {
                return length;
            }
            byte[] data = new byte[n];
            random.nextBytes(data);
            ByteBuffer src = ByteBuffer.wrap(data);
            while (src.hasRemaining()) {
                ch.write(src, at + src.position());
            }
            System.arraycopy(data, 0, model, at, n);
            return Math.max(length, at + n);
        } else if (op < 8) { // read a range and compare
            if (length == 0) {
                return length;
            }
            int at = random.nextInt(length);
            int n = Math.min(1 + random.nextInt(MAX_IO), length - at);
            ByteBuffer dst = ByteBuffer.allocate(n);
            while (dst.hasRemaining()) {
                if (ch.read(dst, at + dst.position()) < 0) {
                    tally.fail("file read hit the end at " + (at + dst.position()) + " of a " + length + "-byte file");
                    return length;
                }
            }
            if (!Arrays.equals(dst.array(), 0, n, model, at, at + n)) {
                tally.fail("file read of " + n + " bytes at " + at + " differs from what was written");
            }
            tally.bytes.add(n);
            return length;
        } else if (op == 8) { // size, then sometimes truncate
            long size = ch.size();
            if (size != length) {
                tally.fail("file size " + size + " but " + length + " bytes were written");
            }
            if (random.nextBoolean() && length > 0) {
                int to = random.nextInt(length);
                ch.truncate(to);
                return to;
            }
            return length;
        } else {
            ch.force(random.nextBoolean());
            return length;
        }
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic pseudo-random bytes (xorshift64 from a seed), produced as a stream so that large
 * bodies are generated as they are sent and never held in memory.
 */
final class SeededBytes extends InputStream {
    private long state;
    private long remaining;
    private long word;
    private int wordBytes;

    /** {@code length} bytes determined by {@code seed}. */
    SeededBytes(long seed, long length) {
        this.state = seed * 0x9E3779B97F4A7C15L + 1;
        this.remaining = length;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (remaining == 0) {
            return -1;
        }
        int n = (int) Math.min(len, remaining);
        for (int i = 0; i < n; i++) {
            if (wordBytes == 0) {
                state ^= state << 13;
                state ^= state >>> 7;
                state ^= state << 17;
                word = state;
                wordBytes = 8;
            }
            b[off + i] = (byte) word;
            word >>>= 8;
            wordBytes--;
        }
        remaining -= n;
        return n;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, remaining);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /** SHA-256 of everything {@code in} still holds, in hex; closes {@code in}. */
    static String digest(InputStream in) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[64 * 1024];
        try (in) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** SHA-256 of the {@code length} bytes of {@code seed}, in hex. */
    static String digest(long seed, long length) throws IOException {
        return digest(new SeededBytes(seed, length));
    }

    /** Writes the {@code length} bytes of {@code seed} to {@code file}; returns their SHA-256 in hex. */
    static String writeFile(Path file, long seed, long length) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = new SeededBytes(seed, length); OutputStream out = Files.newOutputStream(file)) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                md.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/**
 * Run in a fresh JVM: the first JDK socket I/O of the JVM happens inside a fibril, the runtime is
 * closed, then a default-scheduler virtual thread does loopback socket I/O. Prints "OK" when that
 * I/O completes; hangs (and the parent's time-out fails the test) if the JDK poller had been
 * captured by Fibril's carriers.
 */
public final class JdkPollerScenario {
    public static void main(String[] args) throws Exception {
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").build()) {
            Thread t = rt.start(JdkPollerScenario::echoRoundTrip);
            if (!t.join(Duration.ofSeconds(30))) {
                throw new AssertionError("socket I/O inside a fibril did not finish");
            }
        }
        Thread plain = Thread.ofVirtual().start(JdkPollerScenario::echoRoundTrip);
        if (!plain.join(Duration.ofSeconds(30))) {
            System.out.println("HANG: a default virtual thread is stuck in socket I/O after the runtime closed");
            System.exit(3);
        }
        System.out.println("OK");
    }

    /** A loopback round trip in which the reads really wait (the peer writes after the reader parks). */
    static void echoRoundTrip() {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Thread peer = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    out.write(in.read());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write(42);
                if (s.getInputStream().read() != 42) {
                    throw new AssertionError("echo mismatch");
                }
            }
            peer.join();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}

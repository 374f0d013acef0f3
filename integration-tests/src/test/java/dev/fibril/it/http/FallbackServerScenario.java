/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import dev.fibril.FibrilRuntime;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.demo.DemoServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Run in a JVM without {@code --add-opens java.base/java.lang=ALL-UNNAMED}, so the runtime falls
 * back to the JDK's default scheduler and every channel call is a cross-thread request. Starts the
 * demo server on the FibrilConnector (argument: the backend), GETs {@code /hello} and a 4 MiB
 * file over raw sockets, and prints one {@code RESULT} line: what came back and how many fibrils
 * the runtime started. Always exits, whatever the server does (a watchdog halts the JVM).
 */
public final class FallbackServerScenario {
    static final int FILE_SIZE = 4 << 20;

    public static void main(String[] args) throws Exception {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(90_000); // the child must end even if the server under test never answers
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("RESULT watchdog: the scenario did not finish");
            Runtime.getRuntime().halt(3);
        });
        watchdog.setDaemon(true);
        watchdog.start();
        String result;
        Path dir = Files.createTempDirectory("fibril-fallback");
        Path files = Files.createDirectories(dir.resolve("files"));
        byte[] file = SlowReaderTest.pattern(FILE_SIZE);
        Files.write(files.resolve("big.bin"), file);
        DemoServer server = DemoServer.start(new DemoServer.Options()
                .connector(DemoServer.ConnectorKind.FIBRIL)
                .pool(DemoServer.PoolKind.FIBRIL)
                .backend(args[0])
                .host("127.0.0.1")
                .port(0)
                .files(files));
        try {
            FibrilRuntime rt = ((FibrilConnector) server.connector()).getRuntime();
            String hello;
            String big;
            try (RawHttp c = RawHttp.connect(server.uri())) {
                c.socket().setSoTimeout(10_000);
                hello = c.send(RawHttp.get("/hello")).read().text();
                RawHttp.Response r = c.send(RawHttp.get("/files/big.bin")).read();
                big = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file))
                        .equals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.body())))
                        ? "ok" : "differs(" + r.body().length + " bytes)";
            } catch (Exception e) {
                hello = "failed";
                big = e.toString().replace(' ', '_');
            }
            result = "hello=" + hello.replace(' ', '_') + " big=" + big + " fibrils=" + rt.stats().fibrilsStarted();
        } finally {
            Thread closer = new Thread(() -> {
                try {
                    server.close();
                } catch (Exception e) {
                    System.out.println("close failed: " + e);
                }
            });
            closer.start();
            closer.join(20_000);
        }
        System.out.println("RESULT " + result);
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}

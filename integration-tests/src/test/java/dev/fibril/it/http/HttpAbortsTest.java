/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it.http;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clients that go away: with a reset, mid-response or mid-request, and the server stopping with requests in flight. */
@ParameterizedClass
@EnumSource(ServerKind.class)
class HttpAbortsTest extends HttpContract {
    /** Why the reset test skips on the simulated kernel. */
    static final String NO_LINGER = "the simulated kernel has no SO_LINGER: closing a socket there always ends the "
            + "connection with end of stream, never a reset (its resets come from the fault plan: HttpFaultsALot)";

    HttpAbortsTest(ServerKind kind) {
        super(kind);
    }

    @Test
    void shouldFreeKeptAliveConnectionsTheirClientsReset() throws Exception {
        assumeRealSockets(NO_LINGER);
        List<RawHttp> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                RawHttp c = connect();
                clients.add(c);
                c.send(RawHttp.get("/hello"));
                assertEquals(200, c.read().status(), "connection " + i);
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> server.connector().getConnectedEndPoints().size() == 20);
            for (RawHttp c : clients) {
                c.socket().setSoLinger(true, 0); // close sends RST, not FIN
                c.close();
            }
        } finally {
            for (RawHttp c : clients) {
                c.close();
            }
        }
        awaitNoConnections(); // well before the 30 s idle timeout
    }

    @Test
    void shouldForgetClientsThatAbortMidResponseOrMidRequest() throws Exception {
        // 1. reads 1 MiB of a 64 MiB download, then closes (FIN; the server's next writes fail)
        try (RawHttp c = connect()) {
            RawHttp.Head h = c.send(RawHttp.get("/files/big.bin")).readHead();
            assertEquals(200, h.status());
            assertEquals(MIB, c.body().readNBytes(MIB).length);
        }
        // 2. the same, closed with a reset (SO_LINGER 0)
        try (RawHttp c = connect()) {
            RawHttp.Head h = c.send(RawHttp.get("/files/big.bin")).readHead();
            assertEquals(200, h.status());
            assertEquals(MIB, c.body().readNBytes(MIB).length);
            if (c.socket() != null) {
                c.socket().setSoLinger(true, 0); // on the simulated kernel, which has no SO_LINGER, a FIN as in case 1
            }
        }
        // 3. announces 64 MiB to /echo, sends 1 MiB, reads some of the echo, closes
        try (RawHttp c = connect()) {
            c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + 64 * MIB + "\r\n\r\n");
            SeededBytes body = new SeededBytes(3, MIB);
            c.send(chunk(body, MIB).array());
            RawHttp.Head h = c.readHead();
            assertEquals(200, h.status());
            assertEquals(64 * 1024, c.body().readNBytes(64 * 1024).length);
        }
        // 4. a big upload with chunked encoding, closed mid-chunk without reading anything
        try (RawHttp c = connect()) {
            c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n");
            c.send(chunk(new SeededBytes(4, 4096), 4096).array());
        }
        awaitNoConnections();
        awaitIdleRuntime();
        awaitNoLeakedBuffers();
        assertServesHello();
    }

    @Test
    void shouldStopWithRequestsInFlightAndLeaveNoneHanging() throws Exception {
        assumeRealSockets(NEEDS_JDK_SOCKETS);
        // An untracked pool here: Jetty's tracking pool records every retain of a buffer, and the
        // upload below that never ends grows that record (a copy-on-write list) without bound; the
        // copying then kept ServerConnector's selector thread too busy to ever run the stop.
        restartServer(o -> o.stopTimeout(Duration.ofSeconds(2)).byteBufferPool(new ArrayByteBufferPool()));
        long uploadSize = 8L * MIB;
        List<CompletableFuture<String>> uploads = new ArrayList<>();
        List<AsyncRequestContent> contents = new ArrayList<>();
        List<SeededBytes> sources = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // uploads 0 and 1 end after uploadSize bytes; upload 2 never ends: only the stop can end it
            SeededBytes source = new SeededBytes(20 + i, i < 2 ? uploadSize : Long.MAX_VALUE);
            AsyncRequestContent content = new AsyncRequestContent("application/octet-stream");
            CompletableFuture<String> outcome = new CompletableFuture<>();
            CountDownLatch headers = new CountDownLatch(1);
            java.security.MessageDigest md = SeededBytes.sha256();
            content.write(false, chunk(source, 256 * 1024), Callback.NOOP);
            jetty.POST(uri("/echo"))
                    .body(content)
                    .idleTimeout(30, TimeUnit.SECONDS)
                    .onResponseHeaders(r -> headers.countDown())
                    .onResponseContent((r, buf) -> md.update(buf))
                    .send(result -> {
                        if (result.isFailed()) {
                            outcome.completeExceptionally(result.getFailure());
                        } else if (result.getResponse().getStatus() != 200) {
                            outcome.completeExceptionally(new IOException("status " + result.getResponse().getStatus()));
                        } else {
                            outcome.complete(java.util.HexFormat.of().formatHex(md.digest()));
                        }
                    });
            assertTrue(headers.await(20, TimeUnit.SECONDS), "upload " + i + " is being echoed");
            uploads.add(outcome);
            contents.add(content);
            sources.add(source);
        }
        List<RawHttp> downloads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            RawHttp c = connect();
            downloads.add(c);
            assertEquals(200, c.send(RawHttp.get("/files/big.bin")).readHead().status(), "download " + i + " started");
        }

        CompletableFuture<Void> closing = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            try {
                server.close();
                closing.complete(null);
            } catch (Throwable t) {
                closing.completeExceptionally(t);
            }
        }, "server-close");
        closer.start();

        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int i = 0; i < 3; i++) {
                AsyncRequestContent content = contents.get(i);
                SeededBytes source = sources.get(i);
                clients.submit(() -> {
                    try {
                        while (source.available() > 0) {
                            Callback.Completable written = new Callback.Completable();
                            content.write(false, chunk(source, 64 * 1024), written);
                            written.get(30, TimeUnit.SECONDS);
                        }
                        content.close();
                    } catch (Exception e) {
                        content.fail(e);
                    }
                    return null;
                });
            }
            // download 0 reads at once; download 1 reads only after the stop returned
            List<CompletableFuture<String>> reads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                RawHttp c = downloads.get(i);
                boolean afterStop = i == 1;
                reads.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        if (afterStop) {
                            closing.handle((v, t) -> null).get(40, TimeUnit.SECONDS);
                        }
                        CountingInputStream body = new CountingInputStream(
                                new BoundedInputStream(c.body(), BIG_FILE_SIZE));
                        String digest = SeededBytes.digest(body);
                        if (body.count() < BIG_FILE_SIZE) {
                            throw new java.io.EOFException("download ended after " + body.count() + " bytes");
                        }
                        return digest;
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, clients));
            }

            try {
                await().atMost(30, TimeUnit.SECONDS).until(closing::isDone);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("server.close() still running after 30 s:\n" + threadDump(), e);
            }
            List<CompletableFuture<String>> all = new ArrayList<>(uploads);
            all.addAll(reads);
            await().atMost(30, TimeUnit.SECONDS).untilAsserted(() ->
                    assertTrue(all.stream().allMatch(CompletableFuture::isDone), "requests still pending: " + describe(all)));
            System.out.printf("%s stop with requests in flight: close %s; %s%n", getClass().getSimpleName(),
                    closing.isCompletedExceptionally() ? "failed: " + closing.exceptionNow() : "returned", describe(all));
            if (closing.isCompletedExceptionally()) {
                assertInstanceOf(java.util.concurrent.TimeoutException.class, closing.exceptionNow(),
                        "stop may only report that the graceful wait timed out");
            }
            for (int i = 0; i < all.size(); i++) {
                CompletableFuture<String> f = all.get(i);
                if (f.isCompletedExceptionally()) {
                    assertFalse(isTimeout(f.exceptionNow()), "request " + i + " hung until its client timed out: " + f.exceptionNow());
                } else {
                    String expected = i < 2 ? SeededBytes.digest(20 + i, uploadSize) : i == 2 ? null : bigFileDigest();
                    assertEquals(expected, f.resultNow(), "request " + i + " completed with other bytes than were sent");
                }
            }
            assertTrue(uploads.get(2).isCompletedExceptionally(), "an upload that never ends cannot complete");
        } finally {
            clients.shutdownNow();
            for (RawHttp c : downloads) {
                c.close();
            }
        }
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import org.eclipse.jetty.server.handler.GracefulHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@code ./fibril serve} stops: requests in flight finish, a signal stops it quietly, a bad --jfr is said plainly. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DemoServerStopTest {

    @Test
    void shouldLetARequestInFlightFinishWhenTheServerStops() throws Exception {
        DemoServer s = DemoServer.start(DemoServer.parse(new String[] {"--port", "0", "--backend", "epoll", "--carriers", "1"})
                .stopTimeout(Duration.ofSeconds(60)));
        AtomicReference<Throwable> stopFailure = new AtomicReference<>();
        Thread stopper;
        try (Socket client = new Socket("127.0.0.1", s.port())) {
            client.setSoTimeout(60_000);
            OutputStream out = client.getOutputStream();
            out.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n0123456789".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            GracefulHandler graceful = s.server().getDescendant(GracefulHandler.class);
            await().atMost(Duration.ofSeconds(60)).until(() -> graceful.getCurrentRequestCount() == 1); // in the handler, half its body read
            stopper = Thread.ofPlatform().start(() -> {
                try {
                    s.close();
                } catch (Throwable e) {
                    stopFailure.set(e);
                }
            });
            await().atMost(Duration.ofSeconds(60)).until(graceful::isShutdown); // stopping: no new requests
            out.write("abcdefghij".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = readToEnd(client.getInputStream());
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertTrue(response.endsWith("0123456789abcdefghij"), "the whole body echoed: " + response);
        }
        assertTrue(stopper.join(Duration.ofSeconds(60)), "the stop did not end");
        assertNull(stopFailure.get(), () -> "the stop failed: " + stopFailure.get());
    }

    @Test
    void shouldStopQuietlyOnSigtermAndLeaveTheRecording(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("signal.jfr");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), DemoServer.class.getName(),
                "--port", "0", "--backend", "epoll", "--carriers", "1", "--jfr", file.toString()));
        Path stderr = dir.resolve("stderr.log");
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = lines.readLine()) != null && !line.startsWith("Fibril serve: ")) {
                // until the server announces itself
            }
            assertTrue(line != null, "the server never announced itself: " + Files.readString(stderr));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
            assertEquals(143, p.exitValue(), "128 + SIGTERM");
            String err = Files.readString(stderr);
            assertFalse(err.contains("stop failed") || err.contains("Exception"), "a quiet stop: " + err);
            assertTrue(Files.size(file) > 0, "the recording was written");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void shouldSayWhyAJfrFileCannotBeWritten(@TempDir Path dir) {
        Path nowhere = dir.resolve("missing").resolve("x.jfr");
        IOException e = assertThrows(IOException.class, () -> DemoServer.start(DemoServer.parse(new String[] {
                "--port", "0", "--backend", "epoll", "--carriers", "1", "--jfr", nowhere.toString()})).close());
        assertEquals("--jfr " + nowhere + ": the folder " + nowhere.getParent() + " does not exist", e.getMessage());
        IOException folder = assertThrows(IOException.class, () -> DemoServer.start(DemoServer.parse(new String[] {
                "--port", "0", "--backend", "epoll", "--carriers", "1", "--jfr", dir.toString()})).close());
        assertEquals("--jfr " + dir + ": is a folder, not a file", folder.getMessage());
    }

    private static String readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        for (int n; (n = in.read(chunk)) >= 0; ) {
            all.write(chunk, 0, n);
        }
        return all.toString(StandardCharsets.US_ASCII);
    }
}

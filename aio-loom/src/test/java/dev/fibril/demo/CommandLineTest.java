/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.demo;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(CommandLine.Program program, String... args) {
        return CommandLine.run("fibril x", "usage: x [--port N]", args, program,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintUsageToStdoutAndExitZeroOnHelp() {
        int status = run(a -> {
            throw new AssertionError("the program must not run on --help");
        }, "--port", "1", "--help");
        assertEquals(0, status);
        assertEquals("usage: x [--port N]" + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));
        assertEquals("", err());
    }

    @Test
    void shouldExitTwoWithOneLineOnAUsageError() {
        int status = run(a -> new CommandLine(a).intValue("--port", 0, 65535), "abc");
        assertEquals(CommandLine.EXIT_USAGE, status);
        assertEquals(1, err().lines().count(), err());
        assertTrue(err().startsWith("fibril x: --port needs a number, not 'abc'"), err());
        assertFalse(err().contains("Exception"), "no exception class or stack trace: " + err());
    }

    @Test
    void shouldExitOneWithTheCausesInOneLineOnAFailure() {
        int status = run(a -> {
            throw new IOException("cannot listen on 127.0.0.1:8080", new BindException("Address already in use"));
        });
        assertEquals(CommandLine.EXIT_FAILURE, status);
        assertEquals("fibril x: cannot listen on 127.0.0.1:8080: Address already in use" + System.lineSeparator(), err());
    }

    @Test
    void shouldExitOneOnAnUncheckedFailureToo() {
        assertEquals(CommandLine.EXIT_FAILURE, run(a -> {
            throw new IllegalStateException("Fibril backend 'io_uring' is not usable here");
        }));
        assertEquals(1, err().lines().count(), err());
    }

    @Test
    void shouldExitZeroWhenTheProgramReturns() {
        assertEquals(0, run(a -> { }));
        assertEquals("", err());
    }

    @Test
    void shouldRejectAMissingValue() {
        CommandLine cl = new CommandLine(new String[] {"--port"});
        assertEquals("--port", cl.next());
        CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class, () -> cl.value("--port"));
        assertEquals("--port needs a value", e.getMessage());
    }

    @Test
    void shouldRejectANumberOutOfRange() {
        CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
                () -> new CommandLine(new String[] {"70000"}).intValue("--port", 0, 65535));
        assertEquals("--port must be between 0 and 65535, not 70000", e.getMessage());
    }

    @Test
    void shouldAcceptAChoiceIgnoringCaseAndNameTheChoicesOtherwise() {
        assertEquals("epoll", new CommandLine(new String[] {"EPOLL"}).choice("--backend", "io_uring", "epoll"));
        CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
                () -> new CommandLine(new String[] {"foo"}).choice("--backend", "io_uring", "epoll"));
        assertEquals("--backend takes io_uring, epoll, not 'foo'", e.getMessage());
    }

    @Test
    void shouldNameUnknownOptionsAndStrayArguments() {
        assertEquals("unknown option --bogus", CommandLine.unknown("--bogus").getMessage());
        assertEquals("unexpected argument 'x'", CommandLine.unknown("x").getMessage());
    }

    @Test
    void shouldSayEachMessageOnceInOneLine() {
        IOException nested = new IOException("bind failed: EADDRINUSE", new IOException("bind failed: EADDRINUSE"));
        assertEquals("bind failed: EADDRINUSE", CommandLine.oneLine(nested));
        assertEquals("NullPointerException", CommandLine.oneLine(new NullPointerException()));
        assertEquals("a b", CommandLine.oneLine(new IOException("a\nb")));
    }

    @Test
    void shouldReadTheEchoServersOptions() {
        EchoServer.Options o = EchoServer.Options.parse(new String[] {"--host", "0.0.0.0", "--port", "0", "--backend", "epoll",
                "--carriers", "3"});
        assertEquals(new EchoServer.Options("0.0.0.0", 0, "epoll", 3), o);
    }

    @Test
    void shouldBindTheEchoServerToLoopbackByDefault() {
        EchoServer.Options o = EchoServer.Options.parse(new String[0]);
        assertEquals("127.0.0.1", o.host());
        assertEquals(7007, o.port());
        assertNull(o.backend());
    }

    @Test
    void shouldRejectTheEchoServersBadOptions() {
        for (String[] bad : new String[][] {{"--port", "abc"}, {"--backend", "foo"}, {"--carriers", "0"}, {"--bogus"}, {"--host"}}) {
            assertThrows(CommandLine.UsageException.class, () -> EchoServer.Options.parse(bad), String.join(" ", bad));
        }
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import dev.fibril.demo.CommandLine;
import dev.fibril.jetty.demo.DemoServer.ConnectorKind;
import dev.fibril.jetty.demo.DemoServer.PoolKind;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/** {@code ./fibril serve}: its options, read into {@link DemoServer.Options}, and the run until Ctrl-C / SIGTERM. */
final class ServeCommand {
    private ServeCommand() {
    }

    static void serve(String[] args) throws Exception {
        DemoServer.Options o = parse(args);
        DemoServer s = DemoServer.start(o); // a taken port fails here, its message naming the address
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                s.close();
            } catch (Exception e) {
                System.err.println("fibril serve: stop failed: " + CommandLine.oneLine(e));
            } finally {
                stopped.countDown();
            }
        }, "fibril-serve-stop"));
        System.out.println(s.describe());
        System.out.flush();
        stopped.await();
    }

    static final String USAGE = """
            usage: ./fibril serve [OPTION...]
              --host ADDR           address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
              --port N              port, 0 for any free one (default 8080)
              --backend NAME        io_uring or epoll (default: io_uring when the kernel allows)
              --files DIR           serve the regular files under DIR at /files/*
              --connector KIND      fibril (default) or server (Jetty's own ServerConnector)
              --pool KIND           fibril, queued or virtual (default: fibril with the fibril connector, else queued)
              --carriers N          Fibril carrier threads (default: one per CPU)
              --idle-timeout-ms N   connection idle timeout (default 30000)
              --max-threads N       most concurrent Jetty tasks (default 10000)
              --no-request-timing   leave out the jetty.server.requests timers
              --jfr FILE            record JFR (default settings and Fibril's events) into FILE until stopped""".stripIndent();

    /** Reads {@code ./fibril serve}'s options; a bad one is a {@link CommandLine.UsageException}. */
    static DemoServer.Options parse(String[] args) {
        DemoServer.Options o = new DemoServer.Options();
        CommandLine cl = new CommandLine(args);
        try {
            while (cl.hasNext()) {
                String a = cl.next();
                switch (a) {
                    case "--port" -> o.port(cl.intValue(a, 0, 65535));
                    case "--host" -> o.host(cl.value(a));
                    case "--backend" -> o.backend(cl.choice(a, "io_uring", "epoll"));
                    case "--files" -> o.files(directory(a, cl.value(a)));
                    case "--connector" -> o.connector(ConnectorKind.valueOf(cl.choice(a, "fibril", "server").toUpperCase(Locale.ROOT)));
                    case "--pool" -> o.pool(PoolKind.valueOf(cl.choice(a, "fibril", "queued", "virtual").toUpperCase(Locale.ROOT)));
                    case "--carriers" -> o.carriers(cl.intValue(a, 1, 1024));
                    case "--idle-timeout-ms" -> o.idleTimeout(Duration.ofMillis(cl.intValue(a, 0, Integer.MAX_VALUE)));
                    case "--max-threads" -> o.maxThreads(cl.intValue(a, 1, Integer.MAX_VALUE));
                    case "--no-request-timing" -> o.requestTiming(false);
                    case "--jfr" -> o.jfr(Path.of(cl.value(a)));
                    default -> throw CommandLine.unknown(a);
                }
            }
        } catch (CommandLine.UsageException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.UsageException(e.getMessage());
        }
        return o.resolved();
    }

    private static Path directory(String option, String value) {
        Path p = Path.of(value);
        if (!Files.isDirectory(p)) {
            throw new CommandLine.UsageException(option + ": " + value + (Files.exists(p) ? " is not a directory" : " does not exist"));
        }
        return p;
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.demo;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilServerSocketChannel;
import dev.fibril.aio.FibrilSocketChannel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./fibril echo [--host ADDR] [--port N] [--backend io_uring|epoll|simulated] [--carriers N]}: an
 * echo server in plain blocking style, one fibril per connection. Prints its address and backend,
 * stops on Ctrl-C.
 */
public final class EchoServer implements AutoCloseable {
    private final FibrilRuntime runtime;
    private final FibrilServerSocketChannel server;
    private final Thread acceptor;

    public EchoServer(FibrilRuntime runtime, InetSocketAddress bind) throws IOException {
        this.runtime = runtime;
        this.server = runtime.openServerSocket().bind(bind, 4096);
        this.acceptor = runtime.start(this::acceptLoop);
    }

    public InetSocketAddress address() throws IOException {
        return server.localAddress();
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            FibrilSocketChannel s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) {
                    System.err.println("accept failed: " + e.getMessage());
                    continue;
                }
                return;
            }
            runtime.start(() -> echo(s));
        }
    }

    private static void echo(FibrilSocketChannel s) {
        try (s) {
            ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
            while (s.read(buf.clear()) >= 0) {
                if (s.sendLater(buf.flip()) == 0) { // copied and sent without parking; else the send before is still going
                    s.write(buf);
                }
            }
        } catch (IOException e) {
            // the peer reset or the server is stopping: this connection is done
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static final String USAGE = "usage: ./fibril echo [--host ADDR] [--port N] [--backend io_uring|epoll|simulated] "
            + "[--carriers N]\n"
            + "  --host ADDR      address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)\n"
            + "  --port N         port, 0 for any free one (default 7007)\n"
            + "  --backend NAME   io_uring, epoll or simulated (default: io_uring when the kernel allows)\n"
            + "  --carriers N     carrier threads (default: one per CPU)";

    /** The echo server's settings, as {@code ./fibril echo} reads them. */
    record Options(String host, int port, String backend, int carriers) {
        static Options parse(String[] args) {
            String host = "127.0.0.1";
            int port = 7007;
            String backend = null;
            int carriers = Runtime.getRuntime().availableProcessors();
            CommandLine cl = new CommandLine(args);
            while (cl.hasNext()) {
                String a = cl.next();
                switch (a) {
                    case "--host" -> host = cl.value(a);
                    case "--port" -> port = cl.intValue(a, 0, 65535);
                    case "--backend" -> backend = cl.choice(a, "io_uring", "epoll", "simulated");
                    case "--carriers" -> carriers = cl.intValue(a, 1, 1024);
                    default -> throw CommandLine.unknown(a);
                }
            }
            return new Options(host, port, backend, carriers);
        }
    }

    /** Serves until Ctrl-C / SIGTERM; see {@link #USAGE}. */
    public static void main(String[] args) {
        CommandLine.main("fibril echo", USAGE, args, EchoServer::serve);
    }

    private static void serve(String[] args) throws Exception {
        Options o = Options.parse(args);
        InetSocketAddress bind = new InetSocketAddress(o.host(), o.port());
        if (bind.isUnresolved()) {
            throw new CommandLine.UsageException("--host: unknown host '" + o.host() + "'");
        }
        FibrilRuntime.Builder builder = Fibril.runtime().carriers(o.carriers());
        if (o.backend() != null) {
            builder.backend(o.backend());
        }
        FibrilRuntime rt = builder.build();
        EchoServer echo;
        try {
            echo = new EchoServer(rt, bind);
        } catch (IOException | RuntimeException e) { // a taken port: the message names the address and errno
            rt.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                echo.close();
            } catch (IOException e) {
                System.err.println("fibril echo: closing: " + e.getMessage());
            }
            rt.close(Duration.ofSeconds(2));
            System.out.println("echo server stopped");
            stopped.countDown();
        }, "fibril-echo-stop"));
        InetSocketAddress at = echo.address();
        System.out.println("echo server listening on " + at.getHostString() + ":" + at.getPort() + " (backend "
                + rt.backendName() + ", " + o.carriers() + " carriers); Ctrl-C stops it");
        stopped.await();
    }
}

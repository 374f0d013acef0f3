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
 * {@code ./fibril echo --port N [--backend io_uring|epoll] [--carriers N]}: an echo server in plain
 * blocking style, one fibril per connection. Prints its address and backend, stops on Ctrl-C.
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
                s.write(buf.flip());
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

    public static void main(String[] args) throws Exception {
        int port = 7007;
        String backend = null;
        int carriers = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
                case "--backend" -> backend = value(args, ++i, "--backend");
                case "--carriers" -> carriers = Integer.parseInt(value(args, ++i, "--carriers"));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --port N, --backend io_uring|epoll|simulated, --carriers N)");
            }
        }
        FibrilRuntime.Builder builder = Fibril.runtime().carriers(carriers);
        if (backend != null) {
            builder.backend(backend);
        }
        FibrilRuntime rt = builder.build();
        EchoServer echo = new EchoServer(rt, new InetSocketAddress("127.0.0.1", port));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                echo.close();
            } catch (IOException e) {
                System.err.println("closing: " + e.getMessage());
            }
            rt.close(Duration.ofSeconds(2));
            System.out.println("echo server stopped");
            stopped.countDown();
        }));
        System.out.println("echo server listening on " + echo.address() + " (backend " + rt.backendName()
                + ", " + carriers + " carriers); Ctrl-C stops it");
        stopped.await();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.demo.CommandLine;
import dev.fibril.jetty.FibrilConnector;
import dev.fibril.jetty.FibrilThreadPool;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jetty.JettyConnectionMetrics;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import io.micrometer.jetty12.server.TimedHandler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

import org.eclipse.jetty.http.pathmap.PathSpec;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ThreadPool;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/**
 * The demo server: Jetty 12 with {@code /hello}, {@code /echo}, {@code /files/*} and
 * {@code /metrics}, on a {@link FibrilConnector} or, for comparison, on Jetty's own
 * {@link ServerConnector}; the same handlers either way. {@code ./fibril serve} runs {@link #main}.
 */
public final class DemoServer implements AutoCloseable {

    /** Which connector accepts and carries the connections. */
    public enum ConnectorKind { FIBRIL, SERVER }

    /** Which thread pool runs Jetty's tasks. */
    public enum PoolKind { FIBRIL, QUEUED, VIRTUAL }

    private final Server server;
    private final AbstractNetworkConnector connector;
    private final FibrilRuntime runtime;
    private final PrometheusMeterRegistry registry;
    private final JvmProcessMetrics jvmMetrics;
    private final Options options;
    /** The --jfr recording, or null. */
    private final FlightRecording recording;

    private DemoServer(Options o) throws Exception {
        o = o.resolved();
        this.options = o;
        boolean needsRuntime = o.connector == ConnectorKind.FIBRIL || o.pool == PoolKind.FIBRIL;
        this.recording = o.jfr == null ? null : FlightRecording.start(o.jfr); // first: the runtime's start is in it
        FibrilRuntime.Builder rb = Fibril.runtime().carriers(o.carriers);
        if (o.backendInstance != null) {
            rb.backend(o.backendInstance);
        } else if (o.backend != null) {
            rb.backend(o.backend);
        }
        this.runtime = needsRuntime ? rb.build() : null;
        try {
            this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            ThreadPool pool = switch (o.pool) {
                case FIBRIL -> new FibrilThreadPool(runtime);
                case QUEUED -> new QueuedThreadPool(o.maxThreads);
                case VIRTUAL -> new VirtualThreadPool(o.maxThreads);
            };
            if (pool instanceof FibrilThreadPool fp) {
                fp.setMaxThreads(o.maxThreads);
            }
            this.server = new Server(pool, null, o.bufferPool);
            server.setStopTimeout(o.stopTimeout.toMillis());
            HttpConfiguration http = new HttpConfiguration();
            http.setSendServerVersion(false);
            HttpConnectionFactory h1 = new HttpConnectionFactory(http);
            HTTP2CServerConnectionFactory h2c = new HTTP2CServerConnectionFactory(http);
            if (o.connector == ConnectorKind.FIBRIL) {
                this.connector = new FibrilConnector(server, runtime, h1, h2c);
            } else {
                ServerConnector sc = new ServerConnector(server, h1, h2c);
                sc.setAcceptQueueSize(FibrilConnector.DEFAULT_ACCEPT_QUEUE_SIZE); // the same backlog for both
                this.connector = sc;
            }
            connector.setHost(o.host);
            connector.setPort(o.port);
            connector.setIdleTimeout(o.idleTimeout.toMillis());
            server.addConnector(connector);

            // A fixed handler tree (not dynamic) lets Jetty learn from its handlers whether a request
            // may block; without --files every handler is non-blocking, so any connector can run
            // requests where they are read instead of handing each to another thread.
            PathMappingsHandler routes = new PathMappingsHandler(false);
            routes.addMapping(PathSpec.from("/hello"), new HelloHandler());
            routes.addMapping(PathSpec.from("/echo"), new EchoHandler());
            routes.addMapping(PathSpec.from("/metrics"), new MetricsHandler(registry));
            if (o.files != null) {
                routes.addMapping(PathSpec.from("/files/*"), new FilesHandler(o.files));
            }
            ContextHandler context = new ContextHandler(routes, "/");
            context.setDynamic(false);
            Handler handlers = context;
            if (o.requestTiming) {
                TimedHandler timed = new TimedHandler(registry, Tags.empty());
                timed.setHandler(context);
                timed.setDynamic(false);
                handlers = timed;
            }
            // Counts the requests in flight, so that the stop waits for them (up to the stop timeout)
            // instead of closing their connections at once; Jetty waits only with such a handler.
            GracefulHandler graceful = new GracefulHandler(handlers);
            graceful.setDynamic(false);
            server.setHandler(graceful);
            server.setDynamic(false);

            if (runtime != null) {
                runtime.meterBinder().bindTo(registry);
            }
            JettyConnectionMetrics.addToAllConnectors(server, registry);
            new JettyServerThreadPoolMetrics(pool, Tags.empty()).bindTo(registry);
            this.jvmMetrics = new JvmProcessMetrics(registry);
        } catch (Exception | Error e) {
            if (runtime != null) {
                runtime.close();
            }
            if (recording != null) {
                recording.close();
            }
            throw e;
        }
    }

    /** Builds and starts a server; {@link #close()} stops it. */
    public static DemoServer start(Options options) throws Exception {
        DemoServer s = new DemoServer(options);
        try {
            s.server.start();
        } catch (Exception e) {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * The base URL, e.g. {@code http://127.0.0.1:8080/}; a server on every interface is named by its
     * loopback address, which it also answers on.
     */
    public URI uri() {
        String host = options.host == null || options.host.equals("0.0.0.0") ? "127.0.0.1"
                : options.host.equals("::") ? "[::1]"
                : options.host.contains(":") && !options.host.startsWith("[") ? "[" + options.host + "]"
                : options.host;
        return URI.create("http://" + host + ":" + connector.getLocalPort() + "/");
    }

    public int port() {
        return connector.getLocalPort();
    }

    public Server server() {
        return server;
    }

    public AbstractNetworkConnector connector() {
        return connector;
    }

    /** The Fibril runtime, or null for a ServerConnector on a Jetty pool. */
    public FibrilRuntime runtime() {
        return runtime;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** One line: a URL that answers, the other paths, connector, pool and backend. */
    public String describe() {
        return "Fibril serve: " + uri().resolve("hello") + " (also /echo, /metrics" + (options.files != null ? ", /files/" : "")
                + "; Ctrl-C stops it) connector=" + options.connector.name().toLowerCase(Locale.ROOT)
                + " pool=" + options.pool.name().toLowerCase(Locale.ROOT)
                + " backend=" + (options.connector == ConnectorKind.FIBRIL ? runtime.backendName() : "nio")
                + (options.files != null ? " files=" + options.files : "")
                + " handlers=" + server.getInvocationType().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Stops gracefully: no new connections, requests in flight get the stop timeout to finish. */
    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            jvmMetrics.close();
            registry.close();
            if (runtime != null) {
                runtime.close();
            }
            if (recording != null) {
                recording.close(); // after the runtime: its last events are in it (unless JFR's exit hook, on a signal, wrote it first)
            }
        }
    }

    /** Writes what the --jfr recording holds so far to {@code file} (the recording goes on). */
    void dumpRecording(Path file) throws java.io.IOException {
        if (recording == null) {
            throw new IllegalStateException("the server was started without --jfr");
        }
        recording.dump(file);
    }

    /** Settings of a demo server; defaults: port 8080 on 127.0.0.1, Fibril connector and pool. */
    public static final class Options {
        private String host = "127.0.0.1";
        private int port = 8080;
        private ConnectorKind connector = ConnectorKind.FIBRIL;
        private PoolKind pool;
        private String backend;
        private dev.fibril.aio.spi.Backend backendInstance;
        private int carriers = Runtime.getRuntime().availableProcessors();
        private Path files;
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Duration stopTimeout = Duration.ofSeconds(5);
        private int maxThreads = 10_000;
        private boolean requestTiming = true;
        private ByteBufferPool bufferPool;
        private Path jfr;

        /** Record JFR (the JDK's default settings and Fibril's events) into {@code file} until the server stops. */
        public Options jfr(Path file) {
            this.jfr = file;
            return this;
        }

        /** The address to listen on; null or {@code 0.0.0.0} for every interface. */
        public Options host(String host) {
            this.host = host;
            return this;
        }

        /** @param port 0 for any free port */
        public Options port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        public Options connector(ConnectorKind kind) {
            this.connector = kind;
            return this;
        }

        /** Default: FIBRIL with the Fibril connector, QUEUED with the ServerConnector. */
        public Options pool(PoolKind kind) {
            this.pool = kind;
            return this;
        }

        /** io_uring, epoll or simulated; null for Fibril's choice (io_uring when the kernel allows). */
        public Options backend(String backend) {
            this.backend = backend;
            this.backendInstance = null;
            return this;
        }

        /**
         * This backend instance, for example a {@code SimulatedKernel} built with a seed and faults;
         * the runtime closes it when the server closes.
         */
        public Options backend(dev.fibril.aio.spi.Backend backend) {
            this.backendInstance = backend;
            this.backend = null;
            return this;
        }

        public Options carriers(int carriers) {
            if (carriers <= 0) {
                throw new IllegalArgumentException("carriers must be positive: " + carriers);
            }
            this.carriers = carriers;
            return this;
        }

        /** Serve the regular files under {@code folder} at {@code /files/*}. */
        public Options files(Path folder) {
            this.files = folder;
            return this;
        }

        public Options idleTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("idle timeout must not be negative: " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        public Options stopTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("stop timeout must not be negative: " + timeout);
            }
            this.stopTimeout = timeout;
            return this;
        }

        public Options maxThreads(int max) {
            if (max <= 0) {
                throw new IllegalArgumentException("maxThreads must be positive: " + max);
            }
            this.maxThreads = max;
            return this;
        }

        /**
         * Whether to time every request into {@code jetty.server.requests} and {@code jetty.server.handling} (Micrometer's TimedHandler,
         * on by default). Its long-task timers are a sizeable share of a plaintext request's CPU,
         * the same for every connector, so the HTTP benchmark turns it off for every server.
         */
        public Options requestTiming(boolean on) {
            this.requestTiming = on;
            return this;
        }

        /** The server's buffer pool; null (the default) for Jetty's own. */
        public Options byteBufferPool(ByteBufferPool pool) {
            this.bufferPool = pool;
            return this;
        }

        ConnectorKind connectorKind() {
            return connector;
        }

        PoolKind poolKind() {
            return pool;
        }

        Options resolved() {
            if (pool == null) {
                pool = connector == ConnectorKind.FIBRIL ? PoolKind.FIBRIL : PoolKind.QUEUED;
            }
            return this;
        }
    }

    /** Starts a server per {@code args}, prints its line, and stops it gracefully on Ctrl-C / SIGTERM. */
    public static void main(String[] args) {
        CommandLine.main("fibril serve", ServeCommand.USAGE, args, ServeCommand::serve);
    }

    /** Reads {@code ./fibril serve}'s options (see {@link ServeCommand#parse}). */
    static Options parse(String[] args) {
        return ServeCommand.parse(args);
    }
}

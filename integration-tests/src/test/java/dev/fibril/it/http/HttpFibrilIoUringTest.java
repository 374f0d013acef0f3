package dev.fibril.it.http;

import dev.fibril.jetty.demo.DemoServer;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringProbe;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The contract on the FibrilConnector and FibrilThreadPool over io_uring. */
class HttpFibrilIoUringTest extends HttpContractSuite {
    @BeforeAll
    static void requireIoUring() {
        IoUringProbe probe = IoUringBackend.probe();
        assumeTrue(probe.available(), "io_uring cannot run here: " + probe.reason());
    }

    @Override
    DemoServer.Options options() {
        return new DemoServer.Options()
                .connector(DemoServer.ConnectorKind.FIBRIL)
                .pool(DemoServer.PoolKind.FIBRIL)
                .backend("io_uring");
    }
}

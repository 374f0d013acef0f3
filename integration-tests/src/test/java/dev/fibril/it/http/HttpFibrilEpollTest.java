package dev.fibril.it.http;

import dev.fibril.jetty.demo.DemoServer;

/** The contract on the FibrilConnector and FibrilThreadPool over epoll. */
class HttpFibrilEpollTest extends HttpContractSuite {
    @Override
    DemoServer.Options options() {
        return new DemoServer.Options()
                .connector(DemoServer.ConnectorKind.FIBRIL)
                .pool(DemoServer.PoolKind.FIBRIL)
                .backend("epoll");
    }
}

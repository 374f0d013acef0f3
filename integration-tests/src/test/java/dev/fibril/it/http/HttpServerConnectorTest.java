package dev.fibril.it.http;

import dev.fibril.jetty.demo.DemoServer;

/** The contract on Jetty's own ServerConnector and QueuedThreadPool: the reference behaviour. */
class HttpServerConnectorTest extends HttpContractSuite {
    @Override
    DemoServer.Options options() {
        return new DemoServer.Options()
                .connector(DemoServer.ConnectorKind.SERVER)
                .pool(DemoServer.PoolKind.QUEUED);
    }
}

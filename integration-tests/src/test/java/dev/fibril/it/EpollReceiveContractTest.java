package dev.fibril.it;

class EpollReceiveContractTest extends ReceiveContractTest {
    @Override
    String backend() {
        return "epoll";
    }
}

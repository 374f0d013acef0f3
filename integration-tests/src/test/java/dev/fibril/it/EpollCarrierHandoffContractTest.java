package dev.fibril.it;

class EpollCarrierHandoffContractTest extends CarrierHandoffContractTest {
    @Override
    String backend() {
        return "epoll";
    }
}

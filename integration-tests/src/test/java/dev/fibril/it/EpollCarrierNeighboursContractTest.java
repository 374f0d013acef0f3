package dev.fibril.it;

class EpollCarrierNeighboursContractTest extends CarrierNeighboursContractTest {
    @Override
    String backend() {
        return "epoll";
    }
}

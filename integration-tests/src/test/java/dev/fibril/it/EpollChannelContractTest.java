package dev.fibril.it;

class EpollChannelContractTest extends ChannelContractTest {
    @Override
    String backend() {
        return "epoll";
    }
}

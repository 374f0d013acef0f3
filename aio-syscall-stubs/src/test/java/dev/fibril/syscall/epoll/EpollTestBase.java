package dev.fibril.syscall.epoll;

import dev.fibril.syscall.RingDriver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Opens a backend and one ring per test, driven on the test thread; checks nothing is left behind. */
abstract class EpollTestBase {
    EpollBackend backend;
    EpollRing ring;
    RingDriver driver;

    @BeforeEach
    void openRing() {
        backend = new EpollBackend();
        ring = backend.openRing(0);
        driver = new RingDriver(ring);
    }

    @AfterEach
    void closeRing() {
        assertEquals(0, ring.inFlight(), "requests left in flight");
        ring.close();
        backend.close();
    }
}

package dev.fibril.syscall.epoll;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many wake-ups from another thread, each landing either before the owner's wait or during it:
 * none may be lost. A lost one shows as an await that sits out its 30 s timeout.
 */
@Tag("slow")
class EpollWakeupALotTest extends EpollTestBase {
    private static final int ROUNDS = 20_000;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldReturnFromEveryAwaitThatAWakeupTargets() throws Exception {
        AtomicInteger round = new AtomicInteger(-1);
        AtomicInteger woken = new AtomicInteger(-1);
        Thread waker = Thread.ofPlatform().name("waker").start(() -> {
            for (int i = 0; i < ROUNDS; i++) {
                while (round.get() < i) {
                    Thread.onSpinWait();
                }
                ring.wakeup();
                woken.set(i);
            }
        });
        long slowest = 0;
        for (int i = 0; i < ROUNDS; i++) {
            round.set(i); // the waker may wake before or while this thread waits
            long start = System.nanoTime();
            ring.await(TimeUnit.SECONDS.toNanos(30));
            slowest = Math.max(slowest, System.nanoTime() - start);
            // Only this round's wake-up can end the wait (the previous one was consumed by the
            // previous wait), so it has been made; wait for the waker to say so before the next round.
            while (woken.get() < i) {
                Thread.onSpinWait();
            }
        }
        waker.join();
        System.out.printf("[epoll] %d wake-ups, slowest await %.2f ms, %d kernel calls%n",
                ROUNDS, slowest / 1e6, ring.kernelCalls());
        assertTrue(slowest < TimeUnit.SECONDS.toNanos(10), "an await sat out its timeout: a lost wake-up");
        assertEquals(0, ring.inFlight());
    }
}

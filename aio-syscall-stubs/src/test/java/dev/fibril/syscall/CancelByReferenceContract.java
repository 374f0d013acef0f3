package dev.fibril.syscall;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * ASYNC_CANCEL by reference, the same on every ring: the cancel names its target as the object,
 * the ring finds the target's slot through the token it stored on it, and a token of a slot whose
 * generation moved on finds nothing. Subclassed per backend.
 */
public abstract class CancelByReferenceContract {
    private static final long LONG_NANOS = TimeUnit.SECONDS.toNanos(30);

    private Backend backend;
    private CompletionRing ring;
    private RingDriver driver;

    /** A backend of the kind under test; the subclass skips where it cannot run. */
    protected abstract Backend openBackend();

    @BeforeEach
    void openRing() {
        backend = openBackend();
        ring = backend.openRing(0);
        driver = new RingDriver(ring);
    }

    @AfterEach
    void closeRing() {
        if (ring != null) {
            assertEquals(0, ring.inFlight(), "requests left in flight");
            ring.close();
            backend.close();
        }
    }

    @Test
    void shouldCancelATimeoutByReference() {
        IoRequest timeout = submitted(timeout());
        assertEquals(0, driver.run(driver.cancelOf(timeout)));
        assertEquals(-Errno.ECANCELED, driver.complete(timeout));
    }

    @Test
    void shouldAnswerACancelOfARequestNeverEnqueuedWithEnoent() {
        IoRequest pending = submitted(timeout()); // slot 0 is taken: a stranger's token 0 names it
        assertEquals(-Errno.ENOENT, driver.run(driver.cancelOf(new IoRequest())));
        assertFalse(driver.isComplete(pending), "the request in the slot the stranger's token names goes on");
        assertEquals(0, driver.run(driver.cancelOf(pending)));
        assertEquals(-Errno.ECANCELED, driver.complete(pending));
    }

    @Test
    void shouldNotCancelWhatTookTheSlotOfACompletedTarget() {
        IoRequest done = driver.request(Op.NOP, -1, null, 0, 0, 0);
        assertEquals(0, driver.run(done));
        IoRequest timeout = submitted(timeout()); // takes the slot that done's token names
        assertEquals(-Errno.ENOENT, driver.run(driver.cancelOf(done)), "done's token is stale");
        assertFalse(driver.isComplete(timeout), "the timeout in done's old slot goes on");

        done.prepare(Op.TIMEOUT, -1, null, 0, 0, LONG_NANOS);
        submitted(done);
        assertEquals(0, driver.run(driver.cancelOf(done)), "the same object, enqueued again, is found by its new token");
        assertEquals(-Errno.ECANCELED, driver.complete(done));
        assertEquals(0, driver.run(driver.cancelOf(timeout)));
        assertEquals(-Errno.ECANCELED, driver.complete(timeout));
    }

    @Test
    void shouldCancelOnlyTheSubmissionInFlightWhenTheCancelWasEnqueued() {
        IoRequest timeout = submitted(timeout());
        IoRequest cancel = driver.cancelOf(timeout);
        driver.enqueue(cancel); // not flushed: some rings run a cancel only at flush
        IoRequest later = timeout();
        driver.enqueue(later);
        assertEquals(0, driver.complete(cancel));
        assertEquals(-Errno.ECANCELED, driver.complete(timeout));
        assertFalse(driver.isComplete(later), "enqueued after the cancel: not its target");
        assertEquals(0, driver.run(driver.cancelOf(later)));
        assertEquals(-Errno.ECANCELED, driver.complete(later));
    }

    private IoRequest timeout() {
        return driver.request(Op.TIMEOUT, -1, null, 0, 0, LONG_NANOS);
    }

    private IoRequest submitted(IoRequest r) {
        driver.enqueue(r);
        ring.flush();
        return r;
    }
}

package dev.fibril.syscall.uring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The wake-up state of an {@link IoUringRing}: a flag any thread sets, and whether the ring's
 * eventfd READ is armed (the owner's alone).
 *
 * <pre>
 *  waker (any thread): set pending; if it was clear, write the eventfd
 *  owner, to wait:     take pending (set: return at once); a CQE there: return;
 *                      arm the READ unless armed; io_uring_enter waiting for one CQE;
 *                      clear pending (this return answers every wake-up so far)
 *  owner, reaping:     the READ's CQE disarms it
 * </pre>
 *
 * A waker that finds pending set writes nothing: the owner has not returned from a wait since a
 * waker that did write, and that write completes the armed READ, or, landing while none is armed,
 * leaves the eventfd's counter set, so the READ armed before the next wait completes at once.
 * The forbidden outcome is a lost wake-up: the owner blocked in the kernel after a wake-up that
 * no eventfd write will answer. The interleaving check is {@code RingWakeupInterleavingTest} in
 * concurrency-tests, with a model of the eventfd and its READ.
 */
final class RingWakeup {
    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(RingWakeup.class, "pending", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through PENDING
    private volatile boolean pending;
    /** The eventfd READ is in the SQ or the kernel; owner only. */
    private boolean armed;

    /** Any thread: true if this caller must write the eventfd (no wake-up is pending since the owner's last wait). */
    boolean signal() {
        return !(boolean) PENDING.getAndSet(this, true);
    }

    /** Owner, about to wait: true if a wake-up came before this wait (it is taken: do not block). */
    boolean takePending() {
        return (boolean) PENDING.getAndSet(this, false);
    }

    /** Owner, its wait returned: the return answers every wake-up so far. */
    void answered() {
        PENDING.setVolatile(this, false);
    }

    /** Owner: whether the READ is in the SQ or the kernel. */
    boolean armed() {
        return armed;
    }

    /** Owner: the READ was claimed in the SQ. */
    void onArmed() {
        armed = true;
    }

    /** Owner: the READ's CQE was reaped; it must be armed again before the next blocking wait. */
    void onCompletion() {
        armed = false;
    }
}

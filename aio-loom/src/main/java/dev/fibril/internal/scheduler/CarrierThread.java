package dev.fibril.internal.scheduler;

/** The platform thread that runs one {@link Carrier}'s loop. */
public final class CarrierThread extends Thread {
    final Carrier carrier;

    CarrierThread(Carrier carrier, String name) {
        super(null, null, name, 0, false);
        this.carrier = carrier;
        setDaemon(true);
    }

    @Override
    public void run() {
        carrier.runLoop();
    }
}

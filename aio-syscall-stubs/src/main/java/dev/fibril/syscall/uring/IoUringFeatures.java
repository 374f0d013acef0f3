/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.BackendFeatures;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

import static dev.fibril.syscall.uring.IoUringConstants.*;

/**
 * Which {@link IoUringFeature}s a backend may use: those the kernel has ({@link IoUringProbe})
 * minus those switched off by {@code -Dfibril.io_uring.<name>=false}, each off one with its
 * reason. Immutable. The ring's setup flags follow from it and from one choice of the runtime,
 * whether a ring is driven by one thread for life ({@code singleIssuer}: the carrier hand-off is
 * off); see docs/DESIGN.md, "Rings and their threads".
 */
public final class IoUringFeatures {
    private static final String HANDOFF_ON = "the carrier hand-off is on: another thread may drive the ring, "
            + "which SINGLE_ISSUER refuses (EEXIST); handoffThreshold(Duration.ZERO) turns the hand-off off";

    /** {@code fibril.io_uring.send_zc_threshold}: the least length of a SEND that goes as SEND_ZC. */
    public static final String SEND_ZC_THRESHOLD_PROPERTY = "fibril.io_uring.send_zc_threshold";
    /** The default of {@link #SEND_ZC_THRESHOLD_PROPERTY}; see {@link #sendZcThreshold()}. */
    public static final int DEFAULT_SEND_ZC_THRESHOLD = 64 * 1024;

    private final Set<IoUringFeature> enabled;
    private final Map<IoUringFeature, String> off;
    private final int sendZcThreshold;

    private IoUringFeatures(Set<IoUringFeature> enabled, Map<IoUringFeature, String> off, int sendZcThreshold) {
        this.enabled = enabled;
        this.off = off;
        this.sendZcThreshold = sendZcThreshold;
    }

    /**
     * The probe's features less those {@code properties} switch off ({@link IoUringFeature#propertyName()}
     * set to {@code false}).
     *
     * @throws IllegalArgumentException if such a property is set to anything but {@code true} or {@code false}
     */
    public static IoUringFeatures resolve(IoUringProbe probe, UnaryOperator<String> properties) {
        EnumSet<IoUringFeature> enabled = EnumSet.noneOf(IoUringFeature.class);
        Map<IoUringFeature, String> off = new EnumMap<>(IoUringFeature.class);
        for (IoUringFeature f : IoUringFeature.values()) {
            String value = properties.apply(f.propertyName());
            if (value != null && !value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                throw new IllegalArgumentException("-D" + f.propertyName() + " must be true or false, was '" + value + "'");
            }
            String refused = probe.refused(f);
            if (refused != null) {
                off.put(f, refused);
            } else if (value != null && value.equalsIgnoreCase("false")) {
                off.put(f, "switched off by -D" + f.propertyName() + "=false");
            } else {
                enabled.add(f);
            }
        }
        return new IoUringFeatures(enabled, off, threshold(properties.apply(SEND_ZC_THRESHOLD_PROPERTY)));
    }

    private static int threshold(String value) {
        if (value == null) {
            return DEFAULT_SEND_ZC_THRESHOLD;
        }
        try {
            int t = Integer.parseInt(value.strip());
            if (t >= 1) {
                return t;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + SEND_ZC_THRESHOLD_PROPERTY + " must be a positive number of bytes, was '"
                + value + "'");
    }

    /**
     * The least length of a SEND that a ring sends as SEND_ZC, where {@link IoUringFeature#SEND_ZC}
     * is enabled. A heap buffer's send goes through a bounce buffer and is clamped to its size
     * ({@link IoUringConfig#bounceBufferSize()}), so only a threshold up to that size applies to it.
     */
    public int sendZcThreshold() {
        return sendZcThreshold;
    }

    /** Features resolved against the system properties of this JVM. */
    public static IoUringFeatures fromSystemProperties(IoUringProbe probe) {
        return resolve(probe, System::getProperty);
    }

    /** Whether the kernel has {@code f} and no property switched it off. */
    public boolean enabled(IoUringFeature f) {
        return enabled.contains(f);
    }

    /** Whether a ring's buffer-select RECVs may be multishot: recv_multishot, and pbuf_ring that they need. */
    public boolean receivesMultishot() {
        return enabled(IoUringFeature.RECV_MULTISHOT) && enabled(IoUringFeature.PBUF_RING);
    }

    /** Why {@code f} is off, or null when it is {@link #enabled}. */
    public String reason(IoUringFeature f) {
        return off.get(f);
    }

    /** Whether a ring that one thread drives for life gets SINGLE_ISSUER. */
    boolean singleIssuer(boolean singleThreaded) {
        return singleThreaded && enabled(IoUringFeature.SINGLE_ISSUER) && enabled(IoUringFeature.R_DISABLED);
    }

    /**
     * The io_uring_setup flags of a ring: CQSIZE and CLAMP always; then either SINGLE_ISSUER with
     * DEFER_TASKRUN (one driving thread for life) or COOP_TASKRUN; TASKRUN_FLAG with either, so
     * the owner sees when completions wait for a GETEVENTS enter; SUBMIT_ALL; R_DISABLED.
     */
    int setupFlags(boolean singleThreaded) {
        Map<IoUringFeature, Boolean> use = used(singleThreaded);
        int flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        flags |= use.get(IoUringFeature.R_DISABLED) ? IORING_SETUP_R_DISABLED : 0;
        flags |= use.get(IoUringFeature.SUBMIT_ALL) ? IORING_SETUP_SUBMIT_ALL : 0;
        flags |= use.get(IoUringFeature.COOP_TASKRUN) ? IORING_SETUP_COOP_TASKRUN : 0;
        flags |= use.get(IoUringFeature.TASKRUN_FLAG) ? IORING_SETUP_TASKRUN_FLAG : 0;
        flags |= use.get(IoUringFeature.SINGLE_ISSUER) ? IORING_SETUP_SINGLE_ISSUER : 0;
        flags |= use.get(IoUringFeature.DEFER_TASKRUN) ? IORING_SETUP_DEFER_TASKRUN : 0;
        return flags;
    }

    /** What a runtime whose rings are (or are not) driven by one thread for life uses, and why not the rest. */
    public BackendFeatures report(boolean singleThreaded) {
        Set<String> active = new TreeSet<>();
        Map<String, String> disabled = new LinkedHashMap<>();
        Map<IoUringFeature, Boolean> use = used(singleThreaded);
        for (IoUringFeature f : IoUringFeature.values()) {
            if (use.get(f)) {
                active.add(f.featureName());
            } else {
                disabled.put(f.featureName(), whyNotUsed(f, singleThreaded));
            }
        }
        return new BackendFeatures("io_uring", active, disabled);
    }

    /** One line per feature that is off, for the log (kernel or property reasons only). */
    Map<String, String> offLines() {
        Map<String, String> lines = new LinkedHashMap<>();
        off.forEach((f, why) -> lines.put(f.featureName(), why));
        return lines;
    }

    private Map<IoUringFeature, Boolean> used(boolean singleThreaded) {
        Map<IoUringFeature, Boolean> use = new EnumMap<>(IoUringFeature.class);
        boolean single = singleIssuer(singleThreaded);
        // Deferred or cooperative task work is only used with TASKRUN_FLAG: without the flag the
        // owner could not tell, without a system call, that completions wait to be posted.
        boolean taskrunFlag = enabled(IoUringFeature.TASKRUN_FLAG);
        boolean defer = single && taskrunFlag && enabled(IoUringFeature.DEFER_TASKRUN);
        boolean coop = !defer && taskrunFlag && enabled(IoUringFeature.COOP_TASKRUN);
        use.put(IoUringFeature.R_DISABLED, enabled(IoUringFeature.R_DISABLED));
        use.put(IoUringFeature.SUBMIT_ALL, enabled(IoUringFeature.SUBMIT_ALL));
        use.put(IoUringFeature.SINGLE_ISSUER, single);
        use.put(IoUringFeature.DEFER_TASKRUN, defer);
        use.put(IoUringFeature.COOP_TASKRUN, coop);
        use.put(IoUringFeature.TASKRUN_FLAG, (coop || defer) && enabled(IoUringFeature.TASKRUN_FLAG));
        use.put(IoUringFeature.SYNC_CANCEL, enabled(IoUringFeature.SYNC_CANCEL));
        use.put(IoUringFeature.PBUF_RING, enabled(IoUringFeature.PBUF_RING));
        use.put(IoUringFeature.PBUF_RING_INC, false); // probed, not used: see ProvidedBufferRing
        use.put(IoUringFeature.ACCEPT_MULTISHOT, enabled(IoUringFeature.ACCEPT_MULTISHOT));
        use.put(IoUringFeature.RECV_POLL_FIRST, enabled(IoUringFeature.RECV_POLL_FIRST));
        use.put(IoUringFeature.RECV_MULTISHOT, receivesMultishot());
        for (IoUringFeature f : IoUringFeature.values()) {
            if (f.op >= 0) {
                use.put(f, enabled(f));
            }
        }
        return use;
    }

    private String whyNotUsed(IoUringFeature f, boolean singleThreaded) {
        String why = off.get(f);
        if (why != null) {
            return why;
        }
        return switch (f) {
            case SINGLE_ISSUER -> singleThreaded ? "needs r_disabled (the ring must be bound to the thread that drives it)" : HANDOFF_ON;
            case DEFER_TASKRUN -> !singleThreaded ? HANDOFF_ON
                    : enabled(IoUringFeature.TASKRUN_FLAG) ? "needs single_issuer" : "needs taskrun_flag";
            case COOP_TASKRUN -> enabled(IoUringFeature.TASKRUN_FLAG)
                    ? "not needed: defer_taskrun runs completion work only when the carrier waits"
                    : "needs taskrun_flag (the carrier must see, without a system call, that completions wait)";
            case TASKRUN_FLAG -> "needs coop_taskrun or defer_taskrun";
            case RECV_MULTISHOT -> "needs pbuf_ring";
            case PBUF_RING_INC -> "probed, not used: a lent receive buffer is consumed whole and goes back to the "
                    + "kernel when its one reader releases it; incremental consumption would need a count of readers per buffer";
            default -> "not used";
        };
    }
}

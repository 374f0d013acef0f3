/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.BackendFeatures;
import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import dev.fibril.syscall.RingDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.fibril.syscall.uring.IoUringConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Each optional feature: probed once, switched off by its property, and then neither reported nor used. */
class IoUringFeaturesTest {
    private IoUringProbe probe;

    @BeforeEach
    void probe() {
        probe = IoUringBackend.probe();
        assumeTrue(probe.available(), probe::reason);
    }

    private static IoUringFeatures with(IoUringProbe probe, Map<String, String> properties) {
        return IoUringFeatures.resolve(probe, properties::get);
    }

    @Test
    void shouldProbeOnceAndGetTheSameAnswerEachTime() {
        assertSame(probe, IoUringBackend.probe(), "one probe per JVM");
        IoUringProbe again = IoUringProbe.run();
        for (IoUringFeature f : IoUringFeature.values()) {
            assertEquals(probe.refused(f), again.refused(f), f + " probed twice");
        }
    }

    @Test
    void shouldSwitchEachFeatureOffByItsProperty() {
        for (IoUringFeature f : IoUringFeature.values()) {
            IoUringFeatures features = with(probe, Map.of(f.propertyName(), "false"));
            assertFalse(features.enabled(f), f.featureName());
            String why = probe.refused(f) != null ? probe.refused(f) : "switched off by -D" + f.propertyName() + "=false";
            assertEquals(why, features.reason(f));
            BackendFeatures report = features.report(true);
            assertFalse(report.isActive(f.featureName()), f + " reported active");
            assertEquals(why, report.disabled().get(f.featureName()));
        }
    }

    @Test
    void shouldNotSetTheFlagOfASwitchedOffFeature() {
        assumeTrue(probe.refused(IoUringFeature.COOP_TASKRUN) == null, "kernel has COOP_TASKRUN");
        IoUringFeatures all = with(probe, Map.of());
        assertEquals(IORING_SETUP_COOP_TASKRUN, all.setupFlags(false) & IORING_SETUP_COOP_TASKRUN);
        int flags = with(probe, Map.of("fibril.io_uring.coop_taskrun", "false",
                "fibril.io_uring.r_disabled", "false")).setupFlags(false);
        assertEquals(0, flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_R_DISABLED),
                "coop_taskrun off takes the taskrun flag with it; r_disabled off");
    }

    @Test
    void shouldRunARingWithEveryOptionalFeatureOff() {
        Map<String, String> off = new java.util.HashMap<>();
        for (IoUringFeature f : IoUringFeature.values()) {
            off.put(f.propertyName(), "FALSE");
        }
        IoUringFeatures none = with(probe, off);
        assertEquals(java.util.Set.of(), none.report(true).active(), "nothing active");
        IoUringBackend backend = new IoUringBackend(IoUringConfig.DEFAULT, none);
        try (IoUringRing ring = backend.openRing(0, true)) {
            assertEquals(IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, ring.setupFlags(), "only the flags every ring has");
            ring.start();
            RingDriver driver = new RingDriver(ring);
            IoRequest nop = driver.request(Op.NOP, -1, null, 0, 0, 0);
            assertEquals(0, driver.run(nop));
            assertEquals(-Errno.EINVAL, ring.cancelFd(0), "sync_cancel off: not used, close() falls back to shutdown");
        } finally {
            backend.close();
        }
    }

    @Test
    void shouldUseSingleIssuerOnlyForRingsOneThreadDrives() {
        IoUringFeatures all = with(probe, Map.of());
        assumeTrue(all.enabled(IoUringFeature.SINGLE_ISSUER) && all.enabled(IoUringFeature.DEFER_TASKRUN)
                && all.enabled(IoUringFeature.R_DISABLED) && all.enabled(IoUringFeature.TASKRUN_FLAG), "kernel has them");
        BackendFeatures handoff = all.report(false);
        assertFalse(handoff.isActive("single_issuer"));
        assertTrue(handoff.disabled().get("single_issuer").contains("hand-off"), handoff.disabled().get("single_issuer"));
        assertTrue(handoff.isActive("coop_taskrun"));
        BackendFeatures single = all.report(true);
        assertTrue(single.isActive("single_issuer") && single.isActive("defer_taskrun") && single.isActive("taskrun_flag"));
        assertFalse(single.isActive("coop_taskrun"));
        assertEquals(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                all.setupFlags(true) & (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN));
        assertEquals(0, all.setupFlags(false) & (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN));
    }

    @Test
    void shouldRejectAPropertyThatIsNeitherTrueNorFalse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with(probe, Map.of("fibril.io_uring.pbuf_ring", "no")));
        assertTrue(e.getMessage().contains("fibril.io_uring.pbuf_ring"), e.getMessage());
    }

    @Test
    void shouldExplainARefusalByItsErrno() {
        assertTrue(FeatureProbe.explain(IoUringFeature.DEFER_TASKRUN, Errno.EINVAL, "io_uring_setup")
                .startsWith("kernel too old"));
        assertTrue(FeatureProbe.explain(IoUringFeature.PBUF_RING, Errno.ENOMEM, "x").contains("MEMLOCK"));
        assertTrue(FeatureProbe.explain(IoUringFeature.PBUF_RING, Errno.EPERM, "x").contains("seccomp"));
    }
}

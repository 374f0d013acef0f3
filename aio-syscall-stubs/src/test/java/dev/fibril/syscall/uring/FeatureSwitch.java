/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.syscall.RingDriver;

import java.util.Map;

/** Reopens an {@link IoUringTestBase}'s backend and ring with one feature switched off by its property. */
final class FeatureSwitch {
    private FeatureSwitch() {
    }

    static void reopenWithout(IoUringTestBase test, IoUringFeature feature) {
        test.ring.close();
        test.backend.close();
        IoUringFeatures off = IoUringFeatures.resolve(IoUringBackend.probe(), Map.of(feature.propertyName(), "false")::get);
        test.backend = new IoUringBackend(IoUringConfig.DEFAULT, off);
        test.ring = test.backend.openRing(0);
        test.ring.start();
        test.driver = new RingDriver(test.ring);
    }
}

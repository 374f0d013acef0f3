/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The Fibril runtime: carriers, the virtual-thread scheduler, pooled request descriptors,
 * blocking-style channels and Micrometer meters. An application needs only
 * {@code requires dev.fibril.loom;}.
 *
 * <p>On the module path it needs {@code --add-opens java.base/java.lang=dev.fibril.loom} (the
 * scheduler hook) and {@code --enable-native-access=dev.fibril.loom,dev.fibril.syscall}.
 */
module dev.fibril.loom {
    requires transitive dev.fibril.api;
    requires dev.fibril.syscall;
    requires transitive micrometer.core;
    requires java.management; // the hand-off monitor reads the collectors' counts
    requires jdk.jfr;         // the carrier hand-off event

    exports dev.fibril;
}

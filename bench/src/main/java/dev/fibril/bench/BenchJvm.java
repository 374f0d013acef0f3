/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

/**
 * The flags of every benchmark fork, as compile-time constants for {@code @Fork(jvmArgsAppend)}.
 * A method-level {@code @Fork} replaces the class-level one, so each repeats all of them.
 *
 * <p>Heap: {@code -Xms} equal to {@code -Xmx} with {@code AlwaysPreTouch}, because first-touch
 * page faults on a small VM otherwise land inside the measurement.
 */
final class BenchJvm {
    static final String OPENS = "--add-opens=java.base/java.lang=ALL-UNNAMED";
    static final String NATIVE = "--enable-native-access=ALL-UNNAMED";
    static final String EXPORTS = "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED";
    static final String XMS = "-Xms1g";
    static final String XMX = "-Xmx1g";
    static final String PRETOUCH = "-XX:+AlwaysPreTouch";
    /** One carrier for the JDK's default scheduler: the like-for-like peer of a 1-carrier runtime. */
    static final String VT_PARALLELISM_1 = "-Djdk.virtualThreadScheduler.parallelism=1";

    private BenchJvm() {
    }
}

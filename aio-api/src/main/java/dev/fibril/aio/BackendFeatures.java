/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.aio;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The optional kernel features a backend uses, and why each of the others is off: what a runtime
 * reports through {@code FibrilRuntime.backendFeatures()}. Immutable. Feature names are lower-case
 * and are the suffix of the system property that switches a feature off
 * ({@code -Dfibril.io_uring.<name>=false}); the epoll and simulated backends have none.
 *
 * <p>io_uring's features: {@code r_disabled} (rings are created disabled and enabled by the
 * thread that drives them), {@code submit_all}, {@code coop_taskrun}, {@code taskrun_flag},
 * {@code single_issuer} and {@code defer_taskrun} (used only with the carrier hand-off off: see
 * docs/DESIGN.md), {@code sync_cancel} (closing a descriptor cancels its requests synchronously),
 * {@code pbuf_ring} (provided buffer rings for {@code FibrilSocketChannel.receive()}),
 * {@code pbuf_ring_inc} (incremental consumption of those buffers), {@code accept_multishot} (one
 * ACCEPT fills a server channel's queue of accepted connections) and {@code send_zc} (long
 * heap-buffer sends without the kernel's copy; threshold {@code -Dfibril.io_uring.send_zc_threshold}).
 *
 * @param backend  the backend's name ({@code io_uring}, {@code epoll}, {@code simulated})
 * @param active   the features in use, sorted
 * @param disabled each feature the backend knows of and does not use, with the reason (kernel too
 *                 old, refused by the kernel, switched off by a property, not compatible with the
 *                 runtime's configuration), sorted by name
 */
public record BackendFeatures(String backend, Set<String> active, Map<String, String> disabled) {

    public BackendFeatures {
        if (backend == null || active == null || disabled == null) {
            throw new NullPointerException("backend, active and disabled must not be null");
        }
        active = java.util.Collections.unmodifiableSet(new TreeSet<>(active));
        disabled = java.util.Collections.unmodifiableMap(new TreeMap<>(disabled));
        for (String name : active) {
            if (disabled.containsKey(name)) {
                throw new IllegalArgumentException("feature " + name + " is both active and disabled");
            }
        }
    }

    /** A backend without optional features. */
    public static BackendFeatures none(String backend) {
        return new BackendFeatures(backend, Set.of(), Map.of());
    }

    /** Whether {@code feature} is in use. */
    public boolean isActive(String feature) {
        return active.contains(feature);
    }
}

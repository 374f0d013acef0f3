/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.Map;

/**
 * One row of the report: a JMH benchmark method with fixed parameters, the family and comparison
 * group it belongs to, and whether it is that group's reference (ratio 1).
 */
record Case(String family, String group, Class<?> benchmark, String method, Map<String, String> params,
            String label, boolean reference, boolean needsIoUring) {

    /** The JMH include pattern that selects exactly this method. */
    String include() {
        return "^" + benchmark.getName().replace(".", "\\.") + "\\." + method + "$";
    }

    String id() {
        StringBuilder s = new StringBuilder(benchmark.getSimpleName()).append('.').append(method);
        params.forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
        return s.toString();
    }
}

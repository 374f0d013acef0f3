/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.nio.charset.StandardCharsets;

/**
 * The two requests of the HTTP comparison: a plaintext GET and a POST whose 4 KiB body the server
 * sends back.
 */
enum HttpWorkload {
    HELLO("hello", "GET /hello (13-byte plaintext)", "GET", "hello", 0),
    ECHO("echo", "POST /echo (4 KiB body echoed)", "POST", "echo", 4096);

    private final String id;
    private final String label;
    private final String method;
    private final String path;
    private final int bodyBytes;

    HttpWorkload(String id, String label, String method, String path, int bodyBytes) {
        this.id = id;
        this.label = label;
        this.method = method;
        this.path = path;
        this.bodyBytes = bodyBytes;
    }

    String id() {
        return id;
    }

    String label() {
        return label;
    }

    String method() {
        return method;
    }

    /** Relative to the server's base URI, which ends in a slash. */
    String path() {
        return path;
    }

    int bodyBytes() {
        return bodyBytes;
    }

    /** The request body: {@code bodyBytes} of 'x', as the wrk script sends. */
    byte[] body() {
        return "x".repeat(bodyBytes).getBytes(StandardCharsets.US_ASCII);
    }

    /** The response body a correct server sends: the greeting, or the request body back. */
    byte[] expectedResponse() {
        return bodyBytes > 0 ? body() : "Hello, World!".getBytes(StandardCharsets.US_ASCII);
    }
}

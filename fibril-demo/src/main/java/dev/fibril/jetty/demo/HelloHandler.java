/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** {@code GET /hello}: "Hello, World!" as text/plain, the plaintext benchmark's response. */
public final class HelloHandler extends Handler.Abstract.NonBlocking {
    static final byte[] BODY = "Hello, World!".getBytes(StandardCharsets.US_ASCII);
    private static final ByteBuffer BUFFER = ByteBuffer.allocateDirect(BODY.length).put(BODY).flip().asReadOnlyBuffer();

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "GET /hello");
            return true;
        }
        response.setStatus(HttpStatus.OK_200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, BODY.length);
        response.write(true, BUFFER.slice(), callback);
        return true;
    }
}

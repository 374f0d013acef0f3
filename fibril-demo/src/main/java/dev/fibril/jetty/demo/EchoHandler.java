/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code POST /echo}: streams the request body back as it arrives, chunk by chunk, without holding
 * it whole; a body of known length comes back with the same Content-Length, otherwise chunked.
 */
public final class EchoHandler extends Handler.Abstract.NonBlocking {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!HttpMethod.POST.is(request.getMethod()) && !HttpMethod.PUT.is(request.getMethod())) {
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "POST /echo");
            return true;
        }
        response.setStatus(HttpStatus.OK_200);
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type != null ? type : "application/octet-stream");
        long length = request.getLength();
        if (length >= 0) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
        }
        Content.copy(request, response, callback);
        return true;
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty.demo;

import dev.fibril.jetty.FibrilEndPoint;
import dev.fibril.jetty.MappedFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /files/NAME}: the regular file NAME under a root folder (never outside it); NAME is
 * the request's path in context, which a {@code /files/*} path mapping leaves after its prefix. Over
 * HTTP/1.x on a {@link FibrilEndPoint} the body goes out with sendFile from the file; anywhere
 * else Jetty copies it through pooled buffers.
 */
public final class FilesHandler extends Handler.Abstract {
    private static final int COPY_BUFFER = 64 * 1024;
    private final Path root;

    /** @throws IllegalArgumentException if {@code root} is not a folder */
    public FilesHandler(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("not a folder: " + root);
        }
        this.root = root.toRealPath();
    }

    public Path root() {
        return root;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        boolean head = HttpMethod.HEAD.is(request.getMethod());
        if (!head && !HttpMethod.GET.is(request.getMethod())) {
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "GET /files/NAME");
            return true;
        }
        Path file = resolve(Request.getPathInContext(request));
        if (file == null) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
            return true;
        }
        long size = Files.size(file);
        response.setStatus(HttpStatus.OK_200);
        String type = request.getContext().getMimeTypes().getMimeByExtension(file.getFileName().toString());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type != null ? type : "application/octet-stream");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, size);
        if (head || size == 0) {
            response.write(true, BufferUtil.EMPTY_BUFFER, callback);
            return true;
        }
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        HttpVersion version = request.getConnectionMetaData().getHttpVersion();
        if (endPoint instanceof FibrilEndPoint fibril && version.getVersion() <= HttpVersion.HTTP_1_1.getVersion()
                && size <= Integer.MAX_VALUE) {
            MappedFile mapped = fibril.mapFile(file, 0, size);
            response.write(true, mapped.buffer(), new Callback.Nested(callback) {
                @Override
                public void completed() {
                    try {
                        mapped.close();
                    } catch (IOException ignored) {
                        // the response is written; closing a read-only file cannot lose anything
                    }
                }
            });
            return true;
        }
        ByteBufferPool.Sized pool = new ByteBufferPool.Sized(request.getComponents().getByteBufferPool(), true, COPY_BUFFER);
        Content.copy(Content.Source.from(pool, file), response, callback);
        return true;
    }

    /** The regular file for {@code path}, or null when it is not one under the root. */
    private Path resolve(String path) {
        if (path == null || !path.startsWith("/") || path.length() == 1) {
            return null;
        }
        try {
            Path file = root.resolve(path.substring(1)).normalize();
            if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                return null;
            }
            Path real = file.toRealPath();
            return real.startsWith(root) ? real : null; // a symbolic link must not lead out either
        } catch (InvalidPathException | IOException e) {
            return null;
        }
    }
}

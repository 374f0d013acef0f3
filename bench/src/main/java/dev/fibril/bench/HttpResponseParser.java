/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.nio.charset.StandardCharsets;

/**
 * Finds where one HTTP/1.1 response ends in the bytes read so far: after its Content-Length body,
 * or after the last chunk and trailers of a chunked body. Enough for the load client, which has one
 * response in flight per connection; not a general parser (no 1xx, no body delimited by close).
 */
final class HttpResponseParser {
    /** Returned by {@link #completeLength} for bytes that are not a response this parser understands. */
    static final int MALFORMED = -2;
    private static final int INCOMPLETE = 0;

    private HttpResponseParser() {
    }

    /**
     * The length of the complete response at the start of {@code buf[0, len)}, 0 when more bytes
     * are needed, or {@link #MALFORMED}.
     */
    static int completeLength(byte[] buf, int len) {
        int headEnd = indexOf(buf, 0, len, "\r\n\r\n");
        if (headEnd < 0) {
            return len >= 12 && !startsWith(buf, 0, "HTTP/1.") ? MALFORMED : INCOMPLETE;
        }
        if (!startsWith(buf, 0, "HTTP/1.") || status(buf) < 0) {
            return MALFORMED;
        }
        int bodyStart = headEnd + 4;
        long contentLength = -1;
        boolean chunked = false;
        int line = indexOf(buf, 0, headEnd, "\r\n") + 2;
        while (line > 1 && line < bodyStart - 2) {
            int eol = indexOf(buf, line, bodyStart, "\r\n");
            if (startsWithIgnoreCase(buf, line, eol, "content-length:")) {
                contentLength = Long.parseLong(value(buf, line, eol));
            } else if (startsWithIgnoreCase(buf, line, eol, "transfer-encoding:")) {
                chunked = value(buf, line, eol).toLowerCase(java.util.Locale.ROOT).contains("chunked");
            }
            line = eol + 2;
        }
        int s = status(buf);
        if (s == 204 || s == 304) {
            return bodyStart;
        }
        if (chunked) {
            return chunkedEnd(buf, bodyStart, len);
        }
        if (contentLength < 0) {
            return MALFORMED; // a body that ends when the connection closes: not keep-alive
        }
        long end = bodyStart + contentLength;
        return end <= len ? (int) end : INCOMPLETE;
    }

    /** The status code of the response at the start of {@code buf}, or -1. */
    static int status(byte[] buf) {
        int s = 0;
        for (int i = 9; i < 12; i++) {
            int d = buf[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            s = s * 10 + d;
        }
        return s;
    }

    /** Whether the response's head says the server will close the connection after it. */
    static boolean closes(byte[] buf, int len) {
        int headEnd = indexOf(buf, 0, len, "\r\n\r\n");
        String head = new String(buf, 0, Math.max(headEnd, 0), StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
        return head.contains("\r\nconnection: close");
    }

    private static int chunkedEnd(byte[] buf, int pos, int len) {
        while (true) {
            int eol = indexOf(buf, pos, len, "\r\n");
            if (eol < 0) {
                return INCOMPLETE;
            }
            int size = 0;
            int i = pos;
            for (; i < eol && buf[i] != ';'; i++) {
                int d = Character.digit(buf[i], 16);
                if (d < 0) {
                    return MALFORMED;
                }
                size = size * 16 + d;
            }
            if (i == pos) {
                return MALFORMED;
            }
            pos = eol + 2;
            if (size == 0) {
                // trailers, then an empty line
                while (true) {
                    int end = indexOf(buf, pos, len, "\r\n");
                    if (end < 0) {
                        return INCOMPLETE;
                    }
                    if (end == pos) {
                        return end + 2;
                    }
                    pos = end + 2;
                }
            }
            pos += size + 2; // data, then CRLF
            if (pos > len) {
                return INCOMPLETE;
            }
        }
    }

    private static String value(byte[] buf, int line, int eol) {
        int colon = indexOf(buf, line, eol, ":");
        return new String(buf, colon + 1, eol - colon - 1, StandardCharsets.ISO_8859_1).trim();
    }

    private static boolean startsWith(byte[] buf, int at, String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            if (buf[at + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWithIgnoreCase(byte[] buf, int at, int end, String lowerPrefix) {
        if (end - at < lowerPrefix.length()) {
            return false;
        }
        for (int i = 0; i < lowerPrefix.length(); i++) {
            if (Character.toLowerCase(buf[at + i]) != lowerPrefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] buf, int from, int to, String needle) {
        outer:
        for (int i = from; i <= to - needle.length(); i++) {
            for (int j = 0; j < needle.length(); j++) {
                if (buf[i + j] != needle.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

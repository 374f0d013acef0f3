/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The load client finds the end of each response, whole or in pieces, with a length or chunked. */
class HttpResponseParserTest {

    @Test
    void shouldEndAfterTheContentLengthBody() {
        String r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
        assertEquals(r.length(), length(r));
        assertEquals(200, HttpResponseParser.status(bytes(r)));
    }

    @Test
    void shouldWaitForEveryPiece() {
        String r = "HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nHello, World!";
        for (int cut = 0; cut < r.length(); cut++) {
            assertEquals(0, HttpResponseParser.completeLength(bytes(r), cut), "cut at " + cut);
        }
    }

    @Test
    void shouldEndAfterTheLastChunkAndTrailers() {
        String r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n";
        assertEquals(r.length(), length(r));
        for (int cut = 0; cut < r.length(); cut++) {
            assertEquals(0, HttpResponseParser.completeLength(bytes(r), cut), "cut at " + cut);
        }
    }

    @Test
    void shouldReadTheStatusOfAnError() {
        String r = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        assertEquals(r.length(), length(r));
        assertEquals(404, HttpResponseParser.status(bytes(r)));
    }

    @Test
    void shouldRejectWhatIsNotAKeepAliveResponse() {
        assertEquals(HttpResponseParser.MALFORMED, length("HTTP/1.1 200 OK\r\n\r\nbody until close"));
        assertEquals(HttpResponseParser.MALFORMED, length("SSH-2.0-OpenSSH_9.2\r\n"));
    }

    @Test
    void shouldSeeConnectionClose() {
        String r = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        assertTrue(HttpResponseParser.closes(bytes(r), r.length()));
        assertFalse(HttpResponseParser.closes(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 38));
    }

    private static int length(String r) {
        return HttpResponseParser.completeLength(bytes(r), r.length());
    }

    /** The client's buffer is larger than what it has read: parse from a roomy array. */
    private static byte[] bytes(String s) {
        byte[] b = new byte[s.length() + 64];
        byte[] src = s.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(src, 0, b, 0, src.length);
        return b;
    }
}

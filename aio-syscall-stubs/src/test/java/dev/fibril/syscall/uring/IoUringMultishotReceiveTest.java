/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.aio.Errno;
import dev.fibril.aio.spi.CompletionSink;
import dev.fibril.aio.spi.IoRequest;
import dev.fibril.aio.spi.Op;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A multishot RECV on one ring: one request, one completion with {@link IoRequest#more()} and a
 * buffer of its own each time bytes arrive, its slot in flight throughout, then one last completion
 * without it after a cancel; refused (EINVAL) into a caller's buffer and where the feature is off.
 */
class IoUringMultishotReceiveTest extends IoUringTestBase {
    private static final Duration BOUND = Duration.ofSeconds(30);

    /** A completion of the multishot receive: result, more, buffer. */
    private record Shot(int result, boolean more, int buffer) {
    }

    private final List<Shot> shots = new ArrayList<>();
    private IoRequest multishot;
    /** The multishot receive's completions are kept here; the rest go to the driver. */
    private final CompletionSink sink = (r, result) -> {
        if (r == multishot) {
            shots.add(new Shot(result, r.more(), r.selectedBuffer()));
        } else {
            driver.onCompletion(r, result);
        }
    };

    @Test
    void shouldCompleteOncePerArrivalWithABufferOfItsOwnThenOnceWithoutMoreAfterACancel() {
        assumeTrue(backend.receivesMultishot(), () -> "multishot receive off: "
                + backend.ioUringFeatures().reason(IoUringFeature.RECV_MULTISHOT));
        ByteBuffer[] bufs = new ByteBuffer[4];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = ByteBuffer.allocateDirect(4096);
        }
        assertTrue(ring.provideBuffers(bufs));
        int[] pair = driver.connectedPair(backend);
        multishot = selectRecv(pair[1]);
        multishot.opFlags(IoRequest.RECV_MULTISHOT);
        assertTrue(ring.enqueue(multishot));
        assertEquals(IoUringConstants.IORING_RECV_MULTISHOT, ring.lastIoprio());
        ring.flush();
        List<String> texts = new ArrayList<>();
        for (String m : List.of("one", "two", "three")) {
            send(pair[0], m);
            int n = texts.size() + 1;
            reapUntil(() -> shots.size() >= n);
            Shot s = shots.get(n - 1);
            assertTrue(s.more && s.result == m.length() && s.buffer >= 0, "bytes, with more to come: " + s);
            texts.add(text(bufs[s.buffer], s.result));
            assertEquals(1, ring.inFlight(), "the one request stays in flight");
        }
        assertEquals(List.of("one", "two", "three"), texts);
        assertEquals(3, shots.stream().mapToInt(Shot::buffer).distinct().count(), "each arrival in a buffer of its own");
        for (Shot s : shots) {
            ring.recycleBuffer(s.buffer);
        }
        IoRequest cancel = driver.cancelOf(multishot);
        assertTrue(ring.enqueue(cancel));
        reapUntil(() -> shots.size() == 4 && driver.hasResult(cancel));
        Shot last = shots.get(3);
        assertTrue(!last.more && last.result == -Errno.ECANCELED && last.buffer < 0, "the last completion: " + last);
        assertEquals(0, ring.inFlight());
        backend.close(pair[0]);
        backend.close(pair[1]);
    }

    @Test
    void shouldRefuseAMultishotReceiveIntoTheCallersBuffer() {
        int[] pair = driver.connectedPair(backend);
        ByteBuffer own = ByteBuffer.allocateDirect(64);
        IoRequest r = driver.withOpFlags(driver.request(Op.RECV, pair[1], own, 0, 64, 0), IoRequest.RECV_MULTISHOT);
        assertEquals(-Errno.EINVAL, driver.run(r), "only the kernel's picks can carry several results");
        backend.close(pair[0]);
        backend.close(pair[1]);
    }

    @Test
    void shouldRefuseAMultishotReceiveWhereTheFeatureIsOff() {
        FeatureSwitch.reopenWithout(this, IoUringFeature.RECV_MULTISHOT);
        assertFalse(backend.receivesMultishot());
        assertFalse(backend.features(false).isActive("recv_multishot"));
        assertNotEquals(null, backend.features(false).disabled().get("recv_multishot"), "one line says why");
        ByteBuffer[] bufs = {ByteBuffer.allocateDirect(4096)};
        assertTrue(ring.provideBuffers(bufs));
        int[] pair = driver.connectedPair(backend);
        IoRequest r = driver.withOpFlags(selectRecv(pair[1]), IoRequest.RECV_MULTISHOT);
        assertEquals(-Errno.EINVAL, driver.run(r));
        backend.close(pair[0]);
        backend.close(pair[1]);
    }

    private IoRequest selectRecv(int fd) {
        IoRequest r = driver.request(Op.RECV, fd, null, 0, 4096, 0);
        r.flags(IoRequest.FLAG_BUFFER_SELECT);
        return r;
    }

    private void send(int fd, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        IoRequest s = driver.request(Op.SEND, fd, ByteBuffer.wrap(bytes), 0, bytes.length, 0);
        assertTrue(ring.enqueue(s));
        reapUntil(() -> driver.hasResult(s));
        assertEquals(bytes.length, driver.resultNow(s));
    }

    private void reapUntil(java.util.function.BooleanSupplier done) {
        // on the thread that submitted: a request's task work runs only when its submitter enters
        // the kernel (COOP_TASKRUN), so a condition polled on Awaitility's thread never saw the RECV
        await().atMost(BOUND).pollInSameThread().until(() -> {
            ring.flush();
            ring.reap(sink, 64);
            if (!done.getAsBoolean()) {
                ring.await(10_000_000L);
            }
            return done.getAsBoolean();
        });
    }

    private static String text(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.duplicate().clear().get(out);
        return new String(out, StandardCharsets.US_ASCII);
    }
}

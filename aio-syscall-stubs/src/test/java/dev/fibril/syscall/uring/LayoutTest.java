/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

import dev.fibril.syscall.linux.SockaddrLayout;
import dev.fibril.syscall.linux.StatxLayout;
import dev.fibril.syscall.linux.TimespecLayout;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The *_OFFSET constants agree with the MemoryLayouts, and both with the kernel header's sizes. */
class LayoutTest {

    private static long offset(StructLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }

    @Test
    void shouldMatchIoUringSqe() {
        StructLayout l = SqeLayout.LAYOUT;
        assertEquals(SqeLayout.SIZE, l.byteSize());
        assertEquals(SqeLayout.OPCODE_OFFSET, offset(l, "opcode"));
        assertEquals(SqeLayout.FLAGS_OFFSET, offset(l, "flags"));
        assertEquals(SqeLayout.IOPRIO_OFFSET, offset(l, "ioprio"));
        assertEquals(SqeLayout.FD_OFFSET, offset(l, "fd"));
        assertEquals(SqeLayout.OFF_OFFSET, offset(l, "off"));
        assertEquals(SqeLayout.ADDR_OFFSET, offset(l, "addr"));
        assertEquals(SqeLayout.LEN_OFFSET, offset(l, "len"));
        assertEquals(SqeLayout.OP_FLAGS_OFFSET, offset(l, "rw_flags"));
        assertEquals(SqeLayout.USER_DATA_OFFSET, offset(l, "user_data"));
        assertEquals(SqeLayout.BUF_INDEX_OFFSET, offset(l, "buf_index"));
        assertEquals(SqeLayout.PERSONALITY_OFFSET, offset(l, "personality"));
        assertEquals(SqeLayout.SPLICE_FD_IN_OFFSET, offset(l, "splice_fd_in"));
        assertEquals(SqeLayout.ADDR3_OFFSET, offset(l, "addr3"));
    }

    @Test
    void shouldMatchIoUringCqe() {
        assertEquals(CqeLayout.SIZE, CqeLayout.LAYOUT.byteSize());
        assertEquals(CqeLayout.USER_DATA_OFFSET, offset(CqeLayout.LAYOUT, "user_data"));
        assertEquals(CqeLayout.RES_OFFSET, offset(CqeLayout.LAYOUT, "res"));
        assertEquals(CqeLayout.FLAGS_OFFSET, offset(CqeLayout.LAYOUT, "flags"));
    }

    @Test
    void shouldMatchIoUringParams() {
        StructLayout l = IoUringParamsLayout.LAYOUT;
        assertEquals(IoUringParamsLayout.SIZE, l.byteSize());
        assertEquals(IoUringParamsLayout.CQ_ENTRIES_OFFSET, offset(l, "cq_entries"));
        assertEquals(IoUringParamsLayout.FEATURES_OFFSET, offset(l, "features"));
        assertEquals(IoUringParamsLayout.WQ_FD_OFFSET, offset(l, "wq_fd"));
        assertEquals(IoUringParamsLayout.SQ_OFF_OFFSET, offset(l, "sq_off"));
        assertEquals(IoUringParamsLayout.CQ_OFF_OFFSET, offset(l, "cq_off"));
        assertEquals(IoUringParamsLayout.SQ_ARRAY_OFFSET, offset(IoUringParamsLayout.SQRING_OFFSETS, "array"));
        assertEquals(IoUringParamsLayout.SQ_FLAGS_OFFSET, offset(IoUringParamsLayout.SQRING_OFFSETS, "flags"));
        assertEquals(IoUringParamsLayout.CQ_CQES_OFFSET, offset(IoUringParamsLayout.CQRING_OFFSETS, "cqes"));
        assertEquals(IoUringParamsLayout.CQ_FLAGS_OFFSET, offset(IoUringParamsLayout.CQRING_OFFSETS, "flags"));
    }

    @Test
    void shouldMatchProbeAndEnterArguments() {
        assertEquals(ProbeLayout.OPS_OFFSET, offset(ProbeLayout.LAYOUT, "ops"));
        assertEquals(ProbeLayout.OP_SIZE, ProbeLayout.PROBE_OP.byteSize());
        assertEquals(ProbeLayout.OP_FLAGS_OFFSET, offset(ProbeLayout.PROBE_OP, "flags"));
        assertEquals(EnterArgLayout.GETEVENTS_SIZE, EnterArgLayout.GETEVENTS_ARG.byteSize());
        assertEquals(EnterArgLayout.GETEVENTS_TS_OFFSET, offset(EnterArgLayout.GETEVENTS_ARG, "ts"));
        assertEquals(EnterArgLayout.SYNC_CANCEL_SIZE, EnterArgLayout.SYNC_CANCEL_REG.byteSize());
        assertEquals(EnterArgLayout.SYNC_CANCEL_TIMEOUT_OFFSET, offset(EnterArgLayout.SYNC_CANCEL_REG, "timeout"));
    }

    @Test
    void shouldMatchLibcStructs() {
        assertEquals(TimespecLayout.SIZE, TimespecLayout.LAYOUT.byteSize());
        assertEquals(TimespecLayout.TV_NSEC_OFFSET, offset(TimespecLayout.LAYOUT, "tv_nsec"));
        assertEquals(StatxLayout.SIZE, StatxLayout.LAYOUT.byteSize());
        assertEquals(StatxLayout.STX_SIZE_OFFSET, offset(StatxLayout.LAYOUT, "stx_size"));
        assertEquals(StatxLayout.STX_MODE_OFFSET, offset(StatxLayout.LAYOUT, "stx_mode"));
        assertEquals(SockaddrLayout.IN_SIZE, SockaddrLayout.SOCKADDR_IN.byteSize());
        assertEquals(SockaddrLayout.IN_ADDR_OFFSET, offset(SockaddrLayout.SOCKADDR_IN, "sin_addr"));
        assertEquals(SockaddrLayout.IN6_SIZE, SockaddrLayout.SOCKADDR_IN6.byteSize());
        assertEquals(SockaddrLayout.IN6_ADDR_OFFSET, offset(SockaddrLayout.SOCKADDR_IN6, "sin6_addr"));
        assertEquals(SockaddrLayout.IN6_SCOPE_ID_OFFSET, offset(SockaddrLayout.SOCKADDR_IN6, "sin6_scope_id"));
    }
}

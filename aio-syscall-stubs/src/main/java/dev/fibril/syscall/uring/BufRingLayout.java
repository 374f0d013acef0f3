/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.uring;

/**
 * {@code struct io_uring_buf_reg} (the IORING_REGISTER_PBUF_RING argument) and {@code struct
 * io_uring_buf} (one entry of a provided buffer ring), include/uapi/linux/io_uring.h (Linux 6.12).
 * The ring's tail is the {@code resv} field of its first entry (the {@code io_uring_buf_ring}
 * union), a u16 the application writes with release order.
 */
final class BufRingLayout {
    // struct io_uring_buf_reg: 40 bytes
    static final long REG_RING_ADDR_OFFSET = 0;    // __u64 ring_addr
    static final long REG_RING_ENTRIES_OFFSET = 8; // __u32 ring_entries (a power of two, at most 32768)
    static final long REG_BGID_OFFSET = 12;        // __u16 bgid
    static final long REG_FLAGS_OFFSET = 14;       // __u16 flags (IOU_PBUF_RING_*)
    static final long REG_SIZE = 40;               // + __u64 resv[3]

    // struct io_uring_buf: 16 bytes
    static final long BUF_ADDR_OFFSET = 0;         // __u64 addr
    static final long BUF_LEN_OFFSET = 8;          // __u32 len
    static final long BUF_BID_OFFSET = 12;         // __u16 bid
    static final long BUF_SIZE = 16;
    /** io_uring_buf_ring.tail: overlays bufs[0].resv. */
    static final long RING_TAIL_OFFSET = 14;       // __u16 tail

    /** The most entries one buffer ring may have. */
    static final int MAX_ENTRIES = 32768;

    private BufRingLayout() {
    }
}

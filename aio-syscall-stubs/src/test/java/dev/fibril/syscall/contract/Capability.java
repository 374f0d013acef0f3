/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

/**
 * What a backend under contract can do beyond what every backend does. A contract test that needs
 * one calls {@link BackendFixture#require}, which skips it, naming the capability, where the
 * backend lacks it; the contract never asks which backend it runs on.
 */
public enum Capability {
    /** Descriptors are the kernel's own: a libc call on one sees what the backend did to it. */
    KERNEL_DESCRIPTORS,
    /** Sockets and files are the host's: loopback TCP (IPv6 too, where the host has it), the real file system. */
    HOST_RESOURCES,
    /** SO_RCVBUF and SO_SNDBUF read back as Linux keeps them: twice what was set. */
    DOUBLED_SOCKET_BUFFERS,
    /** SO_RCVBUF and SO_SNDBUF read back exactly as set, and a new socket starts at the model's buffer size. */
    EXACT_SOCKET_BUFFERS,
    /** The backend numbers its own descriptors, lowest free first, with nothing else in the process taking one. */
    OWN_DESCRIPTOR_TABLE,
    /** open refuses access mode 3 with EINVAL (Linux takes it for ioctl-only). */
    ACCESS_MODE_3_REFUSED,
    /** open of a null path is EFAULT. */
    NULL_PATH_IS_EFAULT,
    /** A file offset of -1 reads or writes at the file's current position, as preadv2(2) does. */
    CURRENT_POSITION_OFFSET,
    /** Requests waiting on one descriptor complete in the order they were submitted (io_uring wakes them in any order). */
    FIFO_PER_DESCRIPTOR,
    /** The size of a socket is 0, as fstat(2) reports it (the simulated kernel says EINVAL). */
    SOCKET_SIZE_ZERO,
    /** POLL_ADD reports a reset or a gone peer with exactly POLLERR and POLLHUP as modelled (the kernels differ). */
    EXACT_HANGUP_EVENTS,
    /** RECV on a listening socket is ENOTCONN, as Linux has it (the simulated kernel says EINVAL). */
    LISTENER_RECV_ENOTCONN,
    /** A negative length is EINVAL, as read(2) has it for a count that overflows (io_uring and epoll say EFAULT). */
    NEGATIVE_LENGTH_EINVAL,
    /** An await submits what was enqueued and not flushed, as io_uring_enter would. */
    AWAIT_SUBMITS,
    /** A flush of a closed ring submits nothing and returns 0 (the simulated ring throws). */
    FLUSH_AFTER_CLOSE_IS_HARMLESS,
    /** SPLICE from a file into a pipe (io_uring's, the kernel's splice(2)). */
    SPLICE,
    /** Pipes from {@code Backend.pipe}. */
    PIPES,
    /** A NOP completes during the flush that submits it, and completions come back in submission order. */
    INLINE_NOPS,
    /** A negative buffer size is refused with EINVAL (Linux itself takes it as the smallest buffer). */
    NEGATIVE_BUFFER_REFUSED,
    /** TCP_NODELAY and SO_KEEPALIVE on a listening socket (a NIO server socket has neither). */
    LISTENER_FLAGS,
    /** The options set on a listener carry over to the sockets it accepts. */
    INHERITED_SOCKET_OPTIONS,
    /** Socket calls in a state Linux refuses (not connected, not listening) fail as the epoll emulation defines them. */
    EMULATED_SOCKET_STATES,
    /** A cancelled request's completion is delivered before its cancel's (io_uring may post the cancel's first). */
    TARGET_BEFORE_CANCEL,
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.linux;

/**
 * Linux ABI constants that the libc bindings and the io_uring backend use: x86_64 and aarch64
 * share these values (asm-generic and glibc headers, Linux 6.x).
 */
public final class LinuxConstants {
    // socket(2): include/linux/socket.h, include/linux/net.h
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPV6_V6ONLY = 26;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_DONTWAIT = 0x40;

    // open(2), fcntl.h: include/uapi/asm-generic/fcntl.h
    public static final int O_CLOEXEC = 02000000;
    public static final int O_NONBLOCK = 04000;
    public static final int AT_FDCWD = -100;
    public static final int AT_EMPTY_PATH = 0x1000;

    // statx(2): include/uapi/linux/stat.h
    public static final int STATX_SIZE = 0x200;

    // eventfd(2): include/linux/eventfd.h
    public static final int EFD_CLOEXEC = O_CLOEXEC;
    public static final int EFD_NONBLOCK = O_NONBLOCK;

    // mmap(2): include/uapi/asm-generic/mman-common.h, mman.h
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_POPULATE = 0x8000;

    private LinuxConstants() {
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.linux;

import dev.fibril.aio.Errno;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct sockaddr_in} (include/uapi/linux/in.h) and {@code struct sockaddr_in6}
 * (include/uapi/linux/in6.h), Linux 6.x, with conversions from and to {@link InetSocketAddress}.
 * Port and address are in network byte order.
 */
public final class SockaddrLayout {
    public static final long FAMILY_OFFSET = 0;       // sa_family_t sin_family / sin6_family
    public static final long PORT_OFFSET = 2;         // __be16 sin_port / sin6_port
    public static final long IN_ADDR_OFFSET = 4;      // struct in_addr sin_addr
    public static final long IN6_FLOWINFO_OFFSET = 4; // __be32 sin6_flowinfo
    public static final long IN6_ADDR_OFFSET = 8;     // struct in6_addr sin6_addr
    public static final long IN6_SCOPE_ID_OFFSET = 24; // __u32 sin6_scope_id
    public static final int IN_SIZE = 16;
    public static final int IN6_SIZE = 28;
    /** Room for either form, as {@code struct sockaddr_storage} would be, but only what Fibril uses. */
    public static final int MAX_SIZE = IN6_SIZE;

    public static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin_family"),
            JAVA_SHORT.withName("sin_port"),
            JAVA_INT.withName("sin_addr"),
            MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("__pad")).withName("sockaddr_in");

    public static final StructLayout SOCKADDR_IN6 = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin6_family"),
            JAVA_SHORT.withName("sin6_port"),
            JAVA_INT.withName("sin6_flowinfo"),
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("sin6_addr"),
            JAVA_INT.withName("sin6_scope_id")).withName("sockaddr_in6");

    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private SockaddrLayout() {
    }

    /**
     * Writes {@code address} at {@code offset} in the form a socket of {@code family} accepts: for
     * {@code AF_INET6} an IPv4 address becomes IPv4-mapped ({@code ::ffff:a.b.c.d}). Returns the
     * length written, or {@code -EINVAL} (null or unresolved) or {@code -EAFNOSUPPORT} (IPv6 to an
     * {@code AF_INET} socket). Allocates the address bytes ({@link InetAddress#getAddress()} copies).
     */
    public static int encode(InetSocketAddress address, int family, MemorySegment segment, long offset) {
        if (address == null || address.isUnresolved()) {
            return -dev.fibril.aio.Errno.EINVAL;
        }
        InetAddress ip = address.getAddress();
        int port = address.getPort();
        if (family == LinuxConstants.AF_INET) {
            if (!(ip instanceof Inet4Address)) {
                return -Errno.EAFNOSUPPORT;
            }
            segment.asSlice(offset, IN_SIZE).fill((byte) 0);
            segment.set(JAVA_SHORT, offset + FAMILY_OFFSET, (short) LinuxConstants.AF_INET);
            segment.set(NET_SHORT, offset + PORT_OFFSET, (short) port);
            MemorySegment.copy(ip.getAddress(), 0, segment, JAVA_BYTE, offset + IN_ADDR_OFFSET, 4);
            return IN_SIZE;
        }
        segment.asSlice(offset, IN6_SIZE).fill((byte) 0);
        segment.set(JAVA_SHORT, offset + FAMILY_OFFSET, (short) LinuxConstants.AF_INET6);
        segment.set(NET_SHORT, offset + PORT_OFFSET, (short) port);
        if (ip instanceof Inet4Address) {
            // 0.0.0.0 on a dual-stack socket stays in6addr_any (zeros): every address, IPv6 too
            if (!ip.isAnyLocalAddress()) {
                segment.set(JAVA_BYTE, offset + IN6_ADDR_OFFSET + 10, (byte) 0xff);
                segment.set(JAVA_BYTE, offset + IN6_ADDR_OFFSET + 11, (byte) 0xff);
                MemorySegment.copy(ip.getAddress(), 0, segment, JAVA_BYTE, offset + IN6_ADDR_OFFSET + 12, 4);
            }
        } else {
            MemorySegment.copy(ip.getAddress(), 0, segment, JAVA_BYTE, offset + IN6_ADDR_OFFSET, 16);
            segment.set(JAVA_INT, offset + IN6_SCOPE_ID_OFFSET, ((Inet6Address) ip).getScopeId());
        }
        return IN6_SIZE;
    }

    /** Reads a sockaddr written by the kernel; IPv4-mapped IPv6 addresses come back as IPv4. Null for other families. */
    public static InetSocketAddress decode(MemorySegment segment, long offset) {
        int family = segment.get(JAVA_SHORT, offset + FAMILY_OFFSET);
        int port = Short.toUnsignedInt(segment.get(NET_SHORT, offset + PORT_OFFSET));
        byte[] ip;
        if (family == LinuxConstants.AF_INET) {
            ip = segment.asSlice(offset + IN_ADDR_OFFSET, 4).toArray(JAVA_BYTE);
        } else if (family == LinuxConstants.AF_INET6) {
            ip = segment.asSlice(offset + IN6_ADDR_OFFSET, 16).toArray(JAVA_BYTE);
        } else {
            return null;
        }
        try {
            // getByAddress turns a 16-byte IPv4-mapped address into an Inet4Address by itself
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException impossible) {
            throw new AssertionError("address of length " + ip.length, impossible);
        }
    }
}

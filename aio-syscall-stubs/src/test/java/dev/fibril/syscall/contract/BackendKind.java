/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.syscall.contract;

import dev.fibril.aio.spi.Backend;
import dev.fibril.aio.spi.CompletionRing;
import dev.fibril.syscall.epoll.EpollBackend;
import dev.fibril.syscall.sim.SimulatedKernel;
import dev.fibril.syscall.uring.IoUringBackend;
import dev.fibril.syscall.uring.IoUringConstants;
import dev.fibril.syscall.uring.IoUringProbe;
import dev.fibril.syscall.uring.IoUringRing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static dev.fibril.syscall.contract.Capability.AWAIT_SUBMITS;
import static dev.fibril.syscall.contract.Capability.DOUBLED_SOCKET_BUFFERS;
import static dev.fibril.syscall.contract.Capability.FLUSH_AFTER_CLOSE_IS_HARMLESS;
import static dev.fibril.syscall.contract.Capability.EMULATED_SOCKET_STATES;
import static dev.fibril.syscall.contract.Capability.EXACT_SOCKET_BUFFERS;
import static dev.fibril.syscall.contract.Capability.HOST_RESOURCES;
import static dev.fibril.syscall.contract.Capability.INHERITED_SOCKET_OPTIONS;
import static dev.fibril.syscall.contract.Capability.INLINE_NOPS;
import static dev.fibril.syscall.contract.Capability.KERNEL_DESCRIPTORS;
import static dev.fibril.syscall.contract.Capability.LISTENER_FLAGS;
import static dev.fibril.syscall.contract.Capability.NEGATIVE_BUFFER_REFUSED;
import static dev.fibril.syscall.contract.Capability.NEGATIVE_LENGTH_EINVAL;
import static dev.fibril.syscall.contract.Capability.PIPES;
import static dev.fibril.syscall.contract.Capability.OWN_DESCRIPTOR_TABLE;
import static dev.fibril.syscall.contract.Capability.ACCESS_MODE_3_REFUSED;
import static dev.fibril.syscall.contract.Capability.CURRENT_POSITION_OFFSET;
import static dev.fibril.syscall.contract.Capability.EXACT_HANGUP_EVENTS;
import static dev.fibril.syscall.contract.Capability.FIFO_PER_DESCRIPTOR;
import static dev.fibril.syscall.contract.Capability.LISTENER_RECV_ENOTCONN;
import static dev.fibril.syscall.contract.Capability.SOCKET_SIZE_ZERO;
import static dev.fibril.syscall.contract.Capability.NULL_PATH_IS_EFAULT;
import static dev.fibril.syscall.contract.Capability.SPLICE;
import static dev.fibril.syscall.contract.Capability.TARGET_BEFORE_CANCEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The backends the contracts run on: how to open each and what it can do. This is the one place
 * that knows them apart; a backend's contract test names its kind and nothing more.
 */
public enum BackendKind {
    IO_URING(EnumSet.of(KERNEL_DESCRIPTORS, HOST_RESOURCES, DOUBLED_SOCKET_BUFFERS, SPLICE, PIPES,
            LISTENER_FLAGS, INHERITED_SOCKET_OPTIONS,
            CURRENT_POSITION_OFFSET, SOCKET_SIZE_ZERO, LISTENER_RECV_ENOTCONN, AWAIT_SUBMITS,
            FLUSH_AFTER_CLOSE_IS_HARMLESS)) {
        @Override
        public Backend open() {
            IoUringProbe probe = IoUringBackend.probe();
            assumeTrue(probe.available(), probe::reason);
            return new IoUringBackend();
        }

        @Override
        void checkQuiet(CompletionRing ring) {
            assertEquals(0, ((IoUringRing) ring).staleCompletions(), "CQEs that named no request");
        }

        @Override
        BooleanSupplier waitProbe(Thread owner) {
            // Read on the owner itself: its /proc/self/task entry says which system call it sits in.
            try {
                String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
                Path syscall = Path.of("/proc/self/task", tid, "syscall");
                return () -> {
                    try {
                        return Files.readString(syscall).startsWith(IoUringConstants.NR_IO_URING_ENTER + " ");
                    } catch (IOException e) {
                        return false;
                    }
                };
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    },
    EPOLL(EnumSet.of(HOST_RESOURCES, DOUBLED_SOCKET_BUFFERS, INLINE_NOPS, EMULATED_SOCKET_STATES,
            TARGET_BEFORE_CANCEL, NEGATIVE_BUFFER_REFUSED, OWN_DESCRIPTOR_TABLE, ACCESS_MODE_3_REFUSED,
            NULL_PATH_IS_EFAULT, CURRENT_POSITION_OFFSET, FIFO_PER_DESCRIPTOR,
            SOCKET_SIZE_ZERO, LISTENER_RECV_ENOTCONN, AWAIT_SUBMITS, FLUSH_AFTER_CLOSE_IS_HARMLESS)) {
        @Override
        public Backend open() {
            return new EpollBackend();
        }

        @Override
        BooleanSupplier waitProbe(Thread owner) {
            return () -> {
                // NIO's native EPoll.wait on top of the owner's stack
                StackTraceElement[] stack = owner.getStackTrace();
                return stack.length > 0 && stack[0].getClassName().equals("sun.nio.ch.EPoll") && stack[0].isNativeMethod();
            };
        }
    },
    SIMULATED(EnumSet.of(EXACT_SOCKET_BUFFERS, INLINE_NOPS, INHERITED_SOCKET_OPTIONS, TARGET_BEFORE_CANCEL,
            NEGATIVE_BUFFER_REFUSED, LISTENER_FLAGS, OWN_DESCRIPTOR_TABLE, ACCESS_MODE_3_REFUSED,
            FIFO_PER_DESCRIPTOR,
            EXACT_HANGUP_EVENTS, NEGATIVE_LENGTH_EINVAL)) {
        @Override
        public Backend open() {
            return SimulatedKernel.builder().build();
        }
    };

    private final Set<Capability> capabilities;

    BackendKind(Set<Capability> capabilities) {
        this.capabilities = capabilities;
    }

    /** A new backend of this kind; skips the test (with the reason) where it cannot run here. */
    public abstract Backend open();

    public boolean has(Capability capability) {
        return capabilities.contains(capability);
    }

    /** Checks, after a test, what only this kind can tell about a ring that should be quiet. */
    void checkQuiet(CompletionRing ring) {
    }

    /**
     * Made on {@code owner} itself, before it waits: a check any thread may make that {@code owner}
     * sits blocked in its ring's wait. This one: parked (the simulated ring parks its owner).
     */
    BooleanSupplier waitProbe(Thread owner) {
        return () -> owner.getState() == Thread.State.WAITING || owner.getState() == Thread.State.TIMED_WAITING;
    }
}

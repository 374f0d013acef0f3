/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Every JMH case of the report, in report order, with its family, group and reference. */
final class Catalog {
    static final String SWITCH = "Switch cost (one hand-off)";
    static final String CREATION = "Creation cost (start + join)";
    static final String DESCRIPTOR = "Request descriptor per call";
    static final String SYSCALL = "Syscall round trip";
    static final String FILE = "4 KiB random file read";
    static final String FIXED = "Registered files (io_uring)";

    private Catalog() {
    }

    static List<Case> all() {
        List<Case> c = new ArrayList<>();
        Map<String, String> none = Map.of();
        c.add(new Case(SWITCH, SWITCH, SwitchBench.class, "continuationYieldRun", none, "raw Continuation yield+run", true, false));
        c.add(new Case(SWITCH, SWITCH, SwitchBench.class, "fibrilParkResume", none, "Fibril park/resume, 1 carrier", false, false));
        c.add(new Case(SWITCH, SWITCH, SwitchBench.class, "virtualThreadParkResume", none, "JDK virtual threads, default parallelism", false, false));
        c.add(new Case(SWITCH, SWITCH, SwitchBench.class, "virtualThreadParkResumeParallelism1", none, "JDK virtual threads, parallelism 1", false, false));
        c.add(new Case(SWITCH, SWITCH, SwitchBench.class, "platformThreadParkResume", none, "platform threads", false, false));
        c.add(new Case(SWITCH, SWITCH, SwitchBench.class, "callbackStep", none, "hand-written callback step", false, false));
        c.add(new Case(SWITCH, SWITCH, SwitchBench.class, "completableFutureStep", none, "CompletableFuture completion step", false, false));

        c.add(new Case(CREATION, CREATION, CreationBench.class, "continuationCreateRun", none, "Continuation create+run", true, false));
        c.add(new Case(CREATION, CREATION, CreationBench.class, "fibrilSpawnJoin", none, "Fibril spawn+join from a fibril", false, false));
        c.add(new Case(CREATION, CREATION, CreationBench.class, "virtualThreadStartJoin", none, "JDK virtual thread start+join from a virtual thread", false, false));
        c.add(new Case(CREATION, CREATION, CreationBench.class, "platformThreadStartJoin", none, "platform thread start+join", false, false));

        c.add(new Case(DESCRIPTOR, DESCRIPTOR, DescriptorBench.class, "pooledDescriptor", none, "pooled descriptor (acquire+release)", true, false));
        c.add(new Case(DESCRIPTOR, DESCRIPTOR, DescriptorBench.class, "allocatedPerCall", none, "new request object per call", false, false));

        c.add(new Case(SYSCALL, SYSCALL, RingNopBench.class, "ringNop", Map.of("batch", "1"), "io_uring NOP, Java loop on the ring (floor)", true, true));
        c.add(new Case(SYSCALL, SYSCALL, RingNopBench.class, "ringNop", Map.of("batch", "64"), "io_uring NOP, Java loop on the ring, 64 per enter", false, true));
        c.add(new Case(SYSCALL, SYSCALL, FibrilNopBench.class, "fibrilNop", Map.of("fibrils", "1"), "io_uring NOP through Fibril, 1 fibril", false, true));
        c.add(new Case(SYSCALL, SYSCALL, FibrilNopBench.class, "fibrilNop", Map.of("fibrils", "64"), "io_uring NOP through Fibril, 64 fibrils", false, true));
        c.add(new Case(SYSCALL, SYSCALL, SyscallBench.class, "ffmOnPlatformThread", none, "blocking read(2) via FFM, platform thread", false, false));
        c.add(new Case(SYSCALL, SYSCALL, SyscallBench.class, "ffmOnVirtualThread", none, "blocking read(2) via FFM, JDK virtual thread", false, false));
        c.add(new Case(SYSCALL, SYSCALL, SyscallBench.class, "handOffToPlatformPool", none, "hand-off to a platform I/O thread", false, false));

        for (String fixed : List.of("false", "true")) {
            boolean off = fixed.equals("false");
            String how = off ? "socket by fd" : "socket by registered index";
            c.add(new Case(FIXED, FIXED + ", SEND to a full socket (-EAGAIN), 64 per enter", FixedFileBench.class, "sendFull",
                    Map.of("fixed", fixed), how, off, true));
        }
        for (String fixed : List.of("false", "true")) {
            boolean off = fixed.equals("false");
            String how = off ? "sockets by fd" : "sockets by registered index";
            c.add(new Case(FIXED, FIXED + ", 64 B SEND + RECV, one enter", FixedFileBench.class, "roundTrip",
                    Map.of("fixed", fixed), how, off, true));
        }

        for (String readers : List.of("1", "64", "1000")) {
            String group = FILE + ", " + readers + (readers.equals("1") ? " reader" : " readers");
            Map<String, String> p = Map.of("readers", readers);
            c.add(new Case(FILE, group, FileReadBench.class, "fileChannelVirtualThreads", p, "FileChannel on JDK virtual threads, " + readers, true, false));
            c.add(new Case(FILE, group, FileReadBench.class, "fibrilIoUring", p, "Fibril (io_uring) fibrils, " + readers, false, false));
            c.add(new Case(FILE, group, FileReadBench.class, "fileChannelPlatformPool", p, "FileChannel on a platform pool, " + readers, false, false));
        }
        return c;
    }
}

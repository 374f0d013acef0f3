/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The CPU breakdown's reading of {@code perf script} stacks, on lines as perf prints them. */
class CpuBreakdownTest {
    private static List<String[]> stack(String... lines) {
        return java.util.Arrays.stream(lines).map(CpuBreakdown::frame).toList();
    }

    @Test
    void shouldSplitAFrameIntoItsSymbolWithoutTheOffsetAndItsObject() {
        assertArrayEquals(new String[] {"tcp_sendmsg", "[kernel.kallsyms]"},
                CpuBreakdown.frame("ffffffff8206f02b tcp_sendmsg+0x2b ([kernel.kallsyms])"));
        assertArrayEquals(new String[] {"void org.eclipse.jetty.server.internal.HttpConnection.onFillable()", "/tmp/perf-31882.map"},
                CpuBreakdown.frame("7f3a1c2d4e10 void org.eclipse.jetty.server.internal.HttpConnection.onFillable()+0x1f0 (/tmp/perf-31882.map)"));
    }

    @Test
    void shouldPutKernelSamplesUnderTcpWaitIoUringOrTheRest() {
        assertEquals(CpuBreakdown.Category.TCP, CpuBreakdown.category(stack(
                "ffffffff82079700 tcp_event_data_recv+0x20 ([kernel.kallsyms])",
                "ffffffff8206f02b tcp_sendmsg+0x2b ([kernel.kallsyms])",
                "ffffffff81ba3f42 io_send+0xd2 ([kernel.kallsyms])",
                "ffffffff8224d141 do_syscall_64+0x71 ([kernel.kallsyms])",
                "7f3a1c2d4e10 void dev.fibril.internal.scheduler.IoDriver.flush()+0x10 (/tmp/perf-1.map)")));
        assertEquals(CpuBreakdown.Category.WAIT, CpuBreakdown.category(stack(
                "ffffffff81c00000 finish_task_switch.isra.0+0x10 ([kernel.kallsyms])",
                "ffffffff81c00100 schedule+0x20 ([kernel.kallsyms])",
                "ffffffff81b80000 io_cqring_wait+0x30 ([kernel.kallsyms])",
                "ffffffff81b8876f __do_sys_io_uring_enter+0x20f ([kernel.kallsyms])")));
        assertEquals(CpuBreakdown.Category.IO_URING, CpuBreakdown.category(stack(
                "ffffffff81b88152 io_submit_sqes+0x212 ([kernel.kallsyms])",
                "ffffffff81b8876f __do_sys_io_uring_enter+0x20f ([kernel.kallsyms])")));
        assertEquals(CpuBreakdown.Category.KERNEL_OTHER, CpuBreakdown.category(stack(
                "ffffffff8224d141 entry_SYSCALL_64_after_hwframe+0x76 ([kernel.kallsyms])",
                "7f00 __GI___writev+0x10 (/usr/lib/x86_64-linux-gnu/libc.so.6)",
                "7f3a1c2d4e10 boolean org.eclipse.jetty.io.SocketChannelEndPoint.flush(java.nio.ByteBuffer[])+0x10 (/tmp/perf-1.map)")));
    }

    @Test
    void shouldGiveAUserSampleToTheNearestCodeThatOwnsIt() {
        // JDK code Jetty's parser called is Jetty's HTTP work; the demo handler is the same on every server
        assertEquals(CpuBreakdown.Category.JETTY_HTTP, CpuBreakdown.category(stack(
                "7f01 java.lang.String.hashCode()+0x10 (/tmp/perf-1.map)",
                "7f02 boolean org.eclipse.jetty.http.HttpParser.parseFields(java.nio.ByteBuffer)+0x10 (/tmp/perf-1.map)",
                "7f03 void dev.fibril.internal.channel.ArmedReceive.run()+0x10 (/tmp/perf-1.map)")));
        assertEquals(CpuBreakdown.Category.JETTY_HTTP, CpuBreakdown.category(stack(
                "7f01 boolean dev.fibril.jetty.demo.HelloHandler.handle(org.eclipse.jetty.server.Request)+0x10 (/tmp/perf-1.map)",
                "7f03 void dev.fibril.internal.channel.ArmedReceive.run()+0x10 (/tmp/perf-1.map)")));
        assertEquals(CpuBreakdown.Category.JETTY_TRANSPORT, CpuBreakdown.category(stack(
                "7f01 void org.eclipse.jetty.io.ManagedSelector$SelectorProducer.updateKeys()+0x10 (/tmp/perf-1.map)")));
        assertEquals(CpuBreakdown.Category.JETTY_TRANSPORT, CpuBreakdown.category(stack(
                "7f01 void org.eclipse.jetty.util.thread.QueuedThreadPool$Runner.run()+0x10 (/tmp/perf-1.map)")));
        assertEquals(CpuBreakdown.Category.FIBRIL, CpuBreakdown.category(stack(
                "7f01 void java.nio.ByteBuffer.put(java.nio.ByteBuffer)+0x10 (/tmp/perf-1.map)",
                "7f02 boolean dev.fibril.internal.channel.LaterSend.submit(java.nio.ByteBuffer)+0x10 (/tmp/perf-1.map)",
                "7f03 void org.eclipse.jetty.io.WriteFlusher.write()+0x10 (/tmp/perf-1.map)")));
        assertEquals(CpuBreakdown.Category.JVM, CpuBreakdown.category(stack(
                "7f01 G1ParScanThreadState::trim_queue_to_threshold+0x10 (/usr/lib/jvm/temurin-25/lib/server/libjvm.so)",
                "7f02 GCTaskThread::run+0x10 (/usr/lib/jvm/temurin-25/lib/server/libjvm.so)")));
    }

    @Test
    void shouldScaleEachCategorysShareByTheCpuPerRequest() {
        Map<CpuBreakdown.Category, Integer> counts = new EnumMap<>(CpuBreakdown.Category.class);
        counts.put(CpuBreakdown.Category.TCP, 50);
        counts.put(CpuBreakdown.Category.JETTY_HTTP, 30);
        counts.put(CpuBreakdown.Category.FIBRIL, 20);
        CpuBreakdown.Result r = new CpuBreakdown.Result("s", false, 1000, 10.0, 100, counts, "");
        assertEquals(5.0, r.micros(CpuBreakdown.Category.TCP), 1e-9);
        assertEquals(2.0, r.micros(CpuBreakdown.Category.FIBRIL), 1e-9);
        assertEquals(0.0, r.micros(CpuBreakdown.Category.WAIT), 1e-9);
        assertEquals(0.8, r.sharedFraction(), 1e-9);
    }
}

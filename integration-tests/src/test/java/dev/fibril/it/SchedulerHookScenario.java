/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.it;

import dev.fibril.Fibril;
import dev.fibril.FibrilRuntime;
import dev.fibril.aio.FibrilFileChannel;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/** Run in a JVM without the scheduler flag: argument "strict" or "fallback". Prints what happened. */
public final class SchedulerHookScenario {
    public static void main(String[] args) throws Exception {
        boolean strict = args.length > 0 && args[0].equals("strict");
        try (FibrilRuntime rt = Fibril.runtime().carriers(1).backend("simulated").strict(strict).build()) {
            AtomicReference<String> seen = new AtomicReference<>("nothing");
            Thread t = rt.start(() -> {
                try (FibrilFileChannel f = rt.openFile(Path.of("/x"), READ, WRITE, CREATE)) {
                    f.write(ByteBuffer.wrap(new byte[] {7, 8, 9}), 0);
                    ByteBuffer back = ByteBuffer.allocate(3);
                    f.read(back, 0);
                    seen.set("virtual=" + Thread.currentThread().isVirtual() + " fibril=" + Fibril.isFibril()
                            + " read=" + back.get(0) + back.get(1) + back.get(2));
                } catch (Exception e) {
                    seen.set("failed: " + e);
                }
            });
            t.join(Duration.ofSeconds(30));
            System.out.println("RESULT " + seen.get());
        } catch (IllegalStateException e) {
            System.out.println("REFUSED " + e.getMessage());
        }
    }
}

/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.jetty;

import dev.fibril.FibrilRuntime;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection's second fibril: runs the fill callbacks that may block, one at a time, so the
 * connection's reader stays free to serve the demand of a handler that blocks for more content.
 * Started on the first task and kept for the connection's life; {@link #offer} is called by the
 * reader alone.
 */
final class FillWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(FillWorker.class);

    private final FibrilRuntime runtime;
    private final Object owner;
    private volatile Runnable task;
    private volatile Thread thread;
    private volatile boolean stopped;

    /** @param owner named in the log when a task fails */
    FillWorker(FibrilRuntime runtime, Object owner) {
        this.runtime = runtime;
        this.owner = owner;
    }

    /** Hands {@code r} to the worker; false if it is busy with another task or stopped. */
    boolean offer(Runnable r) {
        if (stopped || task != null) {
            return false;
        }
        task = r;
        Thread t = thread;
        if (t == null) {
            try {
                thread = runtime.start(this);
            } catch (RejectedExecutionException e) {
                task = null;
                return false;
            }
        } else {
            LockSupport.unpark(t);
        }
        return true;
    }

    @Override
    public void run() {
        while (!stopped) {
            Runnable r = task;
            if (r == null) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    stopped = true; // the runtime is closing; parking again would return at once, for ever
                }
                continue;
            }
            try {
                r.run();
            } catch (Throwable t) {
                LOG.warn("fill callback failed on {}", owner, t);
            } finally {
                task = null;
                // a status the callback left behind is not the runtime's close (that comes while
                // parked): clear it, or the next park would end the worker and its connection
                Thread.interrupted();
            }
        }
    }

    /** Lets the worker's fibril end once its current task, if any, returns. */
    void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}

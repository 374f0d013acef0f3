/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.internal.io;

/**
 * One pipe of a {@link SplicePipePool}: the buffer between a sendFile chain's two splices.
 * Carrier thread only. Its fds are -1 once the pool closed it.
 */
public final class SplicePipe {
    int readFd;
    int writeFd;
    boolean inUse;
    /**
     * State that the chain using this pipe keeps with it between uses (made by the first chain,
     * reused by the next), so that a chain allocates nothing; the pool never looks at it.
     */
    private Object attachment;

    SplicePipe(int readFd, int writeFd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
    }

    public int readFd() {
        return readFd;
    }

    public int writeFd() {
        return writeFd;
    }

    public Object attachment() {
        return attachment;
    }

    public void attach(Object attachment) {
        this.attachment = attachment;
    }
}

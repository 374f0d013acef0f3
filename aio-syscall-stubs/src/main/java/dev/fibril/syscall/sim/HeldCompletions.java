package dev.fibril.syscall.sim;

import java.util.Arrays;

/**
 * Completions that a REORDER fault holds back until the end of the flush that made them, so they
 * go into the heap after those of the requests that followed them. At most one per submission, so
 * the arrays are sized to the submission queue and never grow. Owner thread only.
 */
final class HeldCompletions {
    final long[] due;
    final long[] userData;
    final int[] result;
    final byte[] opcode;
    final Descriptor[] descriptor;
    int count;

    HeldCompletions(int capacity) {
        due = new long[capacity];
        userData = new long[capacity];
        result = new int[capacity];
        opcode = new byte[capacity];
        descriptor = new Descriptor[capacity];
    }

    void add(long dueAt, long data, int res, byte op, Descriptor on) {
        due[count] = dueAt;
        userData[count] = data;
        result[count] = res;
        opcode[count] = op;
        descriptor[count] = on;
        count++;
    }

    int indexOfUndelivered(long data, long now) {
        for (int i = 0; i < count; i++) {
            if (userData[i] == data && due[i] > now) {
                return i;
            }
        }
        return -1;
    }

    void clear() {
        Arrays.fill(descriptor, 0, count, null);
        count = 0;
    }
}

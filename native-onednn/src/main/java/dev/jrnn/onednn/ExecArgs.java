package dev.jrnn.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A native {@code dnnl_exec_arg_t[]}, filled once and passed to every execution. */
final class ExecArgs {

    private static final long SIZE = dnnl_h.dnnl_exec_arg_t.byteSize();
    private static final long MEMORY = dnnl_h.dnnl_exec_arg_t.byteOffset(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("memory"));

    private final MemorySegment segment;
    private int count;

    ExecArgs(Arena arena, int capacity) {
        segment = arena.allocate(dnnl_h.dnnl_exec_arg_t, capacity);
    }

    /** Adds {@code memory} as argument {@code arg} (a {@code DNNL_ARG_*}); null memory is skipped. */
    ExecArgs add(int arg, DnnlHandle memory) {
        if (memory == null) {
            return this;
        }
        if ((count + 1) * SIZE > segment.byteSize()) {
            throw new IllegalStateException("more than " + segment.byteSize() / SIZE + " arguments");
        }
        segment.set(dnnl_h.C_INT, count * SIZE, arg);
        segment.set(dnnl_h.C_POINTER, count * SIZE + MEMORY, memory.address());
        count++;
        return this;
    }

    int count() {
        return count;
    }

    MemorySegment segment() {
        return segment;
    }
}

package dev.jrnn.onednn;

import static dev.jrnn.onednn.dnnl_h.C_POINTER;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Owns one oneDNN object (engine, stream, memory descriptor, memory, primitive descriptor,
 * primitive or attribute): destroys it exactly once, on {@link #close()}, and refuses to hand out
 * its address afterwards, so a closed handle can never reach native code.
 */
final class DnnlHandle implements AutoCloseable {

    /** A {@code dnnl_*_create} call that writes the new handle to {@code out}. */
    @FunctionalInterface
    interface Creator {
        int create(MemorySegment out);
    }

    /** A {@code dnnl_*_destroy} function. */
    @FunctionalInterface
    interface Destroyer {
        int destroy(MemorySegment handle);
    }

    private final String kind;
    private final Destroyer destroyer;
    /** Null once closed; volatile so that the hot path reads it without a lock. */
    private volatile MemorySegment address;

    private DnnlHandle(String kind, MemorySegment address, Destroyer destroyer) {
        this.kind = kind;
        this.address = address;
        this.destroyer = destroyer;
    }

    /** Calls {@code function} through {@code creator}, checks its status and owns what it made. */
    static DnnlHandle create(String kind, String function, Creator creator, Destroyer destroyer) {
        Objects.requireNonNull(destroyer, "destroyer");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(C_POINTER);
            Dnnl.check(creator.create(out), function);
            MemorySegment handle = out.get(C_POINTER, 0);
            if (handle.equals(MemorySegment.NULL)) {
                throw new DnnlException(function, dnnl_h.dnnl_runtime_error);
            }
            return new DnnlHandle(kind, handle, destroyer);
        }
    }

    /** The native handle; throws once closed. */
    MemorySegment address() {
        MemorySegment a = address;
        if (a == null) {
            throw new IllegalStateException("the oneDNN " + kind + " was closed");
        }
        return a;
    }

    boolean isClosed() {
        return address == null;
    }

    @Override
    public synchronized void close() {
        if (address != null) {
            MemorySegment handle = address;
            address = null;
            Dnnl.check(destroyer.destroy(handle), "dnnl_" + kind + "_destroy");
        }
    }

    @Override
    public String toString() {
        MemorySegment a = address;
        return "oneDNN " + kind + (a == null ? " (closed)" : " 0x" + Long.toHexString(a.address()));
    }
}

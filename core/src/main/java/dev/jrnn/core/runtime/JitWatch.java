package dev.jrnn.core.runtime;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Whether the JVM's JIT has been compiling, from its total compilation time: Vector API code runs
 * at speed only once C2 has compiled it, so whoever times such code (auto selection, simd's tile
 * planner) waits for the JIT to go quiet. Not thread-safe: one per timing loop.
 */
public final class JitWatch {

    private long compiled = compiledMillis();
    private long quietSince = System.nanoTime();

    /** Looks at the JIT at {@code now} ({@link System#nanoTime()}); true when it compiled something since the last look. */
    public boolean look(long now) {
        long c = compiledMillis();
        if (c == compiled) {
            return false;
        }
        compiled = c;
        quietSince = now;
        return true;
    }

    /** Nanoseconds from the last look that saw the JIT compile (or from this watch's creation) to {@code now}. */
    public long quietNanos(long now) {
        return now - quietSince;
    }

    /** Milliseconds the JIT has spent compiling so far, or -1 when the JVM does not say (then it always looks quiet). */
    private static long compiledMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }
}

package dev.jrnn.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Large zeroed native buffers taken from the kernel ({@code mmap}) and given back to it
 * ({@code munmap}) when their arena closes, on Linux; elsewhere, and for small buffers, the
 * arena's own allocation. The executions a workspace drops ({@link OneDnnWorkspace}) must give
 * their memory back: freed to {@code malloc}, buffers of a few megabytes stay in the process
 * (glibc raises its mmap threshold after the first such free, and a heap with holes is not
 * returned). Pages never written (the part of a scratchpad a call does not reach) are never
 * resident either. Over a thousand distinct lengths (models' MemoryBoundTest, issue 15) the
 * process grew by 36.6 MB with the buffers from {@code malloc} and by 14.9 MB with these.
 */
final class Pages {

    /** Buffers from this size up (sixteen pages) are mapped; smaller ones come from malloc. */
    static final long THRESHOLD = 64 << 10;

    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    private static final MethodHandle MMAP, MUNMAP, MALLOC_TRIM;

    static {
        MethodHandle mmap = null, munmap = null, trim = null;
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            var map = libc.find("mmap");
            var unmap = libc.find("munmap");
            if (map.isPresent() && unmap.isPresent()) {
                mmap = linker.downcallHandle(map.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(unmap.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            }
            trim = libc.find("malloc_trim") // glibc's; absent elsewhere (musl)
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)))
                    .orElse(null);
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MALLOC_TRIM = trim;
    }

    private Pages() {
    }

    /** {@code size} zeroed bytes, 64-byte aligned, freed when {@code arena} closes. */
    static MemorySegment allocate(Arena arena, long size) {
        if (MMAP == null || size < THRESHOLD) {
            return arena.allocate(size, 64);
        }
        MemorySegment address;
        try {
            address = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
        if (address.address() == -1L) { // MAP_FAILED
            throw new OutOfMemoryError("mmap of " + size + " bytes for a oneDNN execution failed");
        }
        return address.reinterpret(size, arena, mapped -> unmap(mapped, size));
    }

    /** The least time between two {@link #trimMalloc}s that give pages back. */
    static final long TRIM_INTERVAL_NANOS = 1_000_000_000L;
    private static final AtomicLong lastTrim = new AtomicLong(System.nanoTime() - TRIM_INTERVAL_NANOS);

    /**
     * Gives the free pages glibc's allocator holds back to the kernel ({@code malloc_trim(0)}), where
     * there is glibc, at most once a second ({@link #TRIM_INTERVAL_NANOS}). oneDNN makes and frees its
     * primitives with {@code malloc}; when sizes keep changing, the freed blocks leave holes in
     * glibc's arenas that stay resident, and RSS crept up by 25 MB over the first quarter of a soak
     * (RELIABILITY.md) with the bytes in use flat. Trimming after every new execution kept it flat
     * but halved the soak's calls per CPU second (the pages fault back in); once a second kept it
     * as flat (406-410 MB over 36,000 calls, against 428 -> 441 MB untrimmed) at the same rate.
     * Called after making an execution, never on a call that finds its execution made.
     */
    static void trimMalloc() {
        long now = System.nanoTime(), last = lastTrim.get();
        if (MALLOC_TRIM == null || now - last < TRIM_INTERVAL_NANOS || !lastTrim.compareAndSet(last, now)) {
            return;
        }
        try {
            int released = (int) MALLOC_TRIM.invokeExact(0L);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }

    private static void unmap(MemorySegment mapped, long size) {
        try {
            int status = (int) MUNMAP.invokeExact(mapped, size);
            assert status == 0 : "munmap failed";
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
}

package dev.jrnn.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

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
    private static final MethodHandle MMAP, MUNMAP;

    static {
        MethodHandle mmap = null, munmap = null;
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
        }
        MMAP = mmap;
        MUNMAP = munmap;
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

    private static void unmap(MemorySegment mapped, long size) {
        try {
            int status = (int) MUNMAP.invokeExact(mapped, size);
            assert status == 0 : "munmap failed";
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
}

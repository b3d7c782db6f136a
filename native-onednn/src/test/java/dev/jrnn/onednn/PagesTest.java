package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Execution buffers: zeroed, aligned, usable until their arena closes, large ones mapped. */
class PagesTest {

    @Test
    void smallAndLargeBuffersAreZeroedAlignedAndFreedWithTheirArena() {
        MemorySegment small, large;
        try (Arena arena = Arena.ofShared()) {
            small = Pages.allocate(arena, 100);
            large = Pages.allocate(arena, 3 * Pages.THRESHOLD + 4);
            for (MemorySegment s : new MemorySegment[] {small, large}) {
                assertEquals(0, s.address() % 64);
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 0));
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1));
                s.set(ValueLayout.JAVA_FLOAT, s.byteSize() - 4, 2.5f);
                assertEquals(2.5f, s.get(ValueLayout.JAVA_FLOAT, s.byteSize() - 4));
            }
            assertEquals(3 * Pages.THRESHOLD + 4, large.byteSize());
        }
        assertThrows(IllegalStateException.class, () -> large.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> small.get(ValueLayout.JAVA_BYTE, 0));
    }
}

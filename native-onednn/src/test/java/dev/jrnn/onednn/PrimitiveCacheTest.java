package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.spi.Availability;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** oneDNN's global primitive cache is bounded when the engine is made; -Djrnn.onednn.primitiveCache overrides it. */
class PrimitiveCacheTest {

    @Test
    void theCacheIsBoundedOnceTheEngineExists() {
        Dnnl.engine();
        int expected = System.getProperty(PrimitiveCache.PROPERTY) != null
                ? PrimitiveCache.parse(System.getProperty(PrimitiveCache.PROPERTY))
                : System.getenv(PrimitiveCache.ONEDNN_ENV) != null ? PrimitiveCache.capacity()
                : PrimitiveCache.DEFAULT_CAPACITY;
        assertEquals(expected, PrimitiveCache.capacity());
        assertTrue(OneDnnBackend.describe().endsWith("primitive cache of " + expected), OneDnnBackend.describe());
    }

    @Test
    void setAndGetRoundTrip() {
        int before = PrimitiveCache.capacity();
        try {
            PrimitiveCache.set(7);
            assertEquals(7, PrimitiveCache.capacity());
            PrimitiveCache.set(0); // no cache: primitives are still made
            assertEquals(0, PrimitiveCache.capacity());
            try (DnnlHandle md = Dnnl.memoryDesc(dnnl_h.dnnl_tnc, 1, 1, 4); Arena arena = Arena.ofConfined()) {
                MemorySegment from = arena.allocateFrom(dnnl_h.C_FLOAT, 1, 2, 3, 4), to = arena.allocate(16, 64);
                Dnnl.reorder(md.address(), from, md.address(), to);
                assertEquals(4f, to.getAtIndex(dnnl_h.C_FLOAT, 3));
            }
        } finally {
            PrimitiveCache.set(before);
        }
        DnnlException e = assertThrows(DnnlException.class, () -> PrimitiveCache.set(-1));
        assertEquals("dnnl_set_primitive_cache_capacity", e.function());
    }

    @Test
    void thePropertyIsAWholeNumberInRange() {
        assertEquals(0, PrimitiveCache.parse("0"));
        assertEquals(16, PrimitiveCache.parse(" 16 "));
        assertEquals(PrimitiveCache.MAX_CAPACITY, PrimitiveCache.parse(String.valueOf(PrimitiveCache.MAX_CAPACITY)));
        for (String bad : new String[] {"", "-1", "many", "1.5", String.valueOf(PrimitiveCache.MAX_CAPACITY + 1)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrimitiveCache.parse(bad));
            assertTrue(e.getMessage().startsWith("-Djrnn.onednn.primitiveCache=" + bad + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("from 0 (no cache) to " + PrimitiveCache.MAX_CAPACITY), e.getMessage());
        }
    }

    @Test
    void anInvalidPropertyMakesTheBackendUnavailableAndSaysWhy() {
        String before = System.getProperty(PrimitiveCache.PROPERTY);
        System.setProperty(PrimitiveCache.PROPERTY, "lots");
        try {
            Availability a = new OneDnnBackendProvider().probe();
            assertFalse(a.available());
            assertTrue(a.reason().contains("-Djrnn.onednn.primitiveCache=lots: "), a.reason());
        } finally {
            if (before == null) {
                System.clearProperty(PrimitiveCache.PROPERTY);
            } else {
                System.setProperty(PrimitiveCache.PROPERTY, before);
            }
        }
        assertTrue(new OneDnnBackendProvider().probe().available());
    }
}

package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A construction that fails half-way releases what it made, in reverse order, and reports every failure. */
class ResourcesTest {

    @Test
    void aFailureHalfWayReleasesWhatWasMadeInReverse() {
        List<String> closed = new ArrayList<>();
        Resources r = new Resources();
        DnnlException failure = assertThrows(DnnlException.class, () -> {
            try {
                r.add(() -> closed.add("engine"));
                r.add(Dnnl.memoryDesc(dnnl_h.dnnl_tnc, 2, 3, 4));
                r.add(() -> closed.add("memory"));
                r.add(Dnnl.memoryDesc(dnnl_h.dnnl_tnc, 2, -3, 4)); // fails: negative dimension
                r.add(() -> closed.add("never made"));
            } catch (RuntimeException e) {
                r.close();
                throw e;
            }
        });
        assertEquals("dnnl_memory_desc_create_with_tag", failure.function());
        assertEquals(List.of("memory", "engine"), closed);
        r.close(); // nothing left: closing again does nothing
        assertEquals(2, closed.size());
    }

    @Test
    void everyCloseRunsEvenWhenSomeFail() {
        List<String> closed = new ArrayList<>();
        Resources r = new Resources();
        r.add(() -> closed.add("first"));
        r.add(() -> {
            throw new IllegalStateException("second failed");
        });
        r.add(() -> {
            throw new IllegalStateException("third failed");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, r::close);
        assertEquals("third failed", e.getMessage());
        assertEquals("second failed", e.getSuppressed()[0].getMessage());
        assertTrue(closed.contains("first"));
    }
}

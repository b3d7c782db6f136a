package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hand-written bindings against the library: every symbol there, version 3.x, statuses checked. */
class BindingsTest {

    @Test
    void everyBoundSymbolResolvesAndMatchesTheIncludeList() throws IOException {
        List<String> listed = Files.readAllLines(Path.of("src/bindings/dnnl_h.symbols")).stream()
                .filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
        assertEquals(listed, dnnl_h.boundSymbols());
        var library = OneDnnLibrary.require().dnnl();
        for (String symbol : listed) {
            assertTrue(library.find(symbol).isPresent(), symbol);
        }
        var omp = OneDnnLibrary.require().openmp().orElseThrow();
        assertTrue(omp.find("omp_set_num_threads").isPresent());
        assertTrue(omp_h.present());
    }

    @Test
    void theLibraryIsOneDnn3WithTheOpenMpRuntime() {
        MemorySegment v = dnnl_h.dnnl_version().reinterpret(dnnl_h.dnnl_version_t.byteSize());
        assertEquals(3, v.get(dnnl_h.C_INT, 0));
        assertEquals(OneDnnLibrary.require().version(), "3." + v.get(dnnl_h.C_INT, 4) + "." + v.get(dnnl_h.C_INT, 8));
        assertEquals(2, v.get(dnnl_h.C_INT, 24), "cpu_runtime is DNNL_RUNTIME_OMP");
    }

    @Test
    void constantsAgreeWithTheLibrary() {
        // an ldgoi descriptor of [1, 2, 3, 4, 5] floats is 480 bytes; [T, N, C] tnc likewise
        try (DnnlHandle w = Dnnl.memoryDesc(dnnl_h.dnnl_ldgoi, 1, 2, 3, 4, 5);
             DnnlHandle same = Dnnl.memoryDesc(dnnl_h.dnnl_ldgoi, 1, 2, 3, 4, 5);
             DnnlHandle other = Dnnl.memoryDesc(dnnl_h.dnnl_ldgo + 1 /* ldigo */, 1, 2, 3, 4, 5);
             DnnlHandle seq = Dnnl.memoryDesc(dnnl_h.dnnl_tnc, 7, 2, 3)) {
            assertEquals(480, Dnnl.size(w.address()));
            assertTrue(Dnnl.sameLayout(w.address(), same.address()));
            assertTrue(!Dnnl.sameLayout(w.address(), other.address()));
            assertEquals(7 * 2 * 3 * 4, Dnnl.size(seq.address()));
        }
    }

    @Test
    void aFailedCallNamesTheFunctionAndTheStatus() {
        DnnlException e = assertThrows(DnnlException.class, () -> Dnnl.memoryDesc(dnnl_h.dnnl_tnc, 7, -2, 3));
        assertEquals("dnnl_memory_desc_create_with_tag", e.function());
        assertEquals(dnnl_h.dnnl_invalid_arguments, e.status());
        assertEquals("dnnl_memory_desc_create_with_tag failed: dnnl_invalid_arguments", e.getMessage());
    }

    @Test
    void aHandleIsDestroyedOnceAndUnusableAfterClose() {
        int[] destroyed = {0};
        DnnlHandle md;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dims = arena.allocateFrom(dnnl_h.C_LONG, 1, 1, 1);
            md = DnnlHandle.create("memory_desc", "dnnl_memory_desc_create_with_tag",
                    out -> dnnl_h.dnnl_memory_desc_create_with_tag(out, 3, dims, dnnl_h.dnnl_f32, dnnl_h.dnnl_tnc),
                    handle -> {
                        destroyed[0]++;
                        return dnnl_h.dnnl_memory_desc_destroy(handle);
                    });
        }
        md.close();
        md.close();
        assertEquals(1, destroyed[0]);
        assertTrue(md.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, md::address);
        assertEquals("the oneDNN memory_desc was closed", e.getMessage());
    }
}

package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The build runs the oneDNN conformance suite once per instruction-set level, each in its own JVM
 * with {@code ONEDNN_MAX_CPU_ISA} set (see this module's pom), so CPU-dependent kernels are
 * exercised on whatever machine runs the tests. This checks that the cap took effect: oneDNN
 * dispatches to exactly the capped level when the CPU has it.
 */
class IsaDispatchTest {

    /** The CPU flags each capped level needs. */
    private static final Map<String, List<String>> NEEDS = Map.of(
            "avx2", List.of("avx2", "fma"),
            "avx512_core", List.of("avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"));

    @Test
    void oneDnnDispatchesToTheCappedLevel() throws IOException {
        String cap = System.getenv("ONEDNN_MAX_CPU_ISA");
        String isa = Dnnl.effectiveIsa();
        System.out.println("oneDNN " + OneDnnLibrary.require().version() + " dispatches to " + isa
                + (cap == null ? " (no cap)" : " (ONEDNN_MAX_CPU_ISA=" + cap + ")"));
        assertNotEquals("default", isa);
        if (cap == null || cap.isBlank()) {
            return;
        }
        String level = cap.toLowerCase(Locale.ROOT);
        List<String> needs = NEEDS.get(level);
        if (needs != null && cpuFlags().containsAll(needs)) {
            assertEquals(level, isa);
        } else {
            assertNotEquals(level, isa, "this CPU lacks " + needs + ", so oneDNN cannot dispatch to " + level);
        }
    }

    private static Set<String> cpuFlags() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("flags")) {
                return Set.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
            }
        }
        return Set.of();
    }
}

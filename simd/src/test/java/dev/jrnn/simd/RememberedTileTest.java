package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The planner runs once per machine: its choice is remembered in the cache directory and used by the next process. */
class RememberedTileTest {

    private static final Pattern DESCRIBED = Pattern.compile("described=register tile (\\S+) \\((.*)\\)");

    @Test
    void theNextProcessStartsWithThePlannedTile(@TempDir Path cache) throws Exception {
        String first = child(cache);
        assertTrue(first.contains("first=" + Gemm.PROVISIONAL.label()), first); // nothing remembered yet
        Matcher planned = described(first);
        assertTrue(planned.group(2).startsWith("planned on "), first);
        Path file = cache.resolve("jrnn").resolve("simd-tiles.tsv");
        assertTrue(Files.readString(file).contains("register tile\t" + planned.group(1)), Files.readString(file));

        String second = child(cache);
        assertTrue(second.contains("first=" + planned.group(1)), second);
        Matcher remembered = described(second);
        assertEquals(planned.group(1), remembered.group(1));
        assertTrue(remembered.group(2).startsWith("planned on this machine by an earlier process, remembered in " + file),
                second);
    }

    @Test
    void aDamagedFileMeansPlanningAgain(@TempDir Path cache) throws Exception {
        Path file = cache.resolve("jrnn").resolve("simd-tiles.tsv");
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[] {0, (byte) 0xff, '\t', '\n', 'x'});
        String out = child(cache);
        assertTrue(out.contains("first=" + Gemm.PROVISIONAL.label()), out);
        assertTrue(described(out).group(2).startsWith("planned on "), out);
    }

    @Test
    void nothingIsWrittenWhenRememberingIsOff(@TempDir Path cache) throws Exception {
        String out = child(cache, "-Djrnn.auto.remember=false");
        assertTrue(described(out).group(2).startsWith("planned on "), out);
        assertFalse(Files.exists(cache.resolve("jrnn").resolve("simd-tiles.tsv")));
    }

    private static Matcher described(String out) {
        Matcher m = DESCRIBED.matcher(out);
        assertTrue(m.find(), out);
        return m;
    }

    private static String child(Path cache, String... jvmArgs) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector"));
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TileProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("XDG_CACHE_HOME", cache.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}

package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn control} on a small run (60 demonstrations, 50 held-out episodes of 10 s): the GRU,
 * seeing positions only, must keep at least 90% of the episodes balanced, and the same GRU without
 * memory at most half of them; the expert, seeing everything, keeps all.
 */
class ControlCommandTest {

    private static double share(String output, String controller) {
        Matcher m = Pattern.compile(Pattern.quote(controller) + "\\s+balanced\\s+([0-9.]+)%").matcher(output);
        assertTrue(m.find(), output);
        return Double.parseDouble(m.group(1)) / 100;
    }

    /** On auto, the default: it trains and streams on what it timed fastest, and says so in its last line. */
    @Test
    void memoryIsWhatBalancesThePoleFromPositionsAlone(@TempDir Path out) {
        Run run = RunCommandTest.jrnn("control", "--demonstrations", "60", "--steps", "250", "--test-episodes", "50",
                "--test-seconds", "10", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        String[] lines = run.out().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("auto chose training: ") && last.contains("streaming: "), run.out());
        assertEquals(1.0, share(run.out(), "expert (full state)"), run.out());
        assertTrue(share(run.out(), "GRU controller (positions only)") >= 0.9, run.out());
        assertTrue(share(run.out(), "same GRU without memory (positions only)") <= 0.5, run.out());
        Pictures.check(run, out.resolve("pole-angle.png"), 900, 420);
    }

    @Test
    void aNegativeNoiseIsOneLine() {
        Run run = RunCommandTest.jrnn("control", "--sensor-noise", "-1");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn control: --sensor-noise must not be negative, got -1.0", run.err().strip());
    }
}

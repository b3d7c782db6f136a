package dev.jrnn.apps;

import static dev.jrnn.apps.RunCommandTest.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn punctuate} on a slice of the real data (the first 50,000 words of Moby-Dick to train,
 * 4,000 of the held-out chapters and of the fortunes to test): the training loss falls, and on the
 * held-out chapters the bidirectional GRU finds sentence ends and commas, which the majority label
 * (F1 0 on both) never does, and finds more of them than the same GRU left to right.
 */
class PunctuateCommandTest {

    @Test
    void theBidirectionalGruRestoresMarksThatNeedTheNextWord(@TempDir Path dir) {
        Run run = RunCommandTest.jrnn("punctuate", "--train-words", "50000", "--test-words", "4000", "--epochs", "4", "--batch", "8",
                "--hidden", "48", "--backend", "simd", "--out", dir.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        String out = run.out();
        for (String model : List.of("left to right", "bidirectional")) {
            double first = number(out, model + ": epoch 1  mean training loss ([0-9.]+)");
            double last = number(out, model + ": epoch 4  mean training loss ([0-9.]+)");
            assertTrue(last < 0.8 * first, model + " loss " + first + " -> " + last + "\n" + out);
        }
        String heldOut = out.substring(out.indexOf("held out:"), out.indexOf("out of domain:"));
        double[] period = f1s(heldOut, "period"), comma = f1s(heldOut, "comma");
        assertEquals(0.0, period[0], "the majority label never writes a period");
        assertEquals(0.0, comma[0], "the majority label never writes a comma");
        assertTrue(period[2] > 0.3, "bidirectional period F1 " + period[2] + "\n" + heldOut);
        assertTrue(comma[2] > 0.35, "bidirectional comma F1 " + comma[2] + "\n" + heldOut);
        // a mark goes after a word, so it depends on the next word, which only the reverse direction has read
        assertTrue(period[2] > period[1] + 0.1, "bidirectional against left-to-right period F1\n" + heldOut);
        assertTrue(comma[2] > comma[1] + 0.1, "bidirectional against left-to-right comma F1\n" + heldOut);
        assertTrue(out.contains("restored: "), out);
        assertTrue(Files.exists(dir.resolve("punctuate-gru.safetensors")), out);
    }

    @Test
    void aWindowOfOneWordIsOneLine() {
        Run run = RunCommandTest.jrnn("punctuate", "--window", "1");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn punctuate: --window must be at least 2 words", run.err().strip());
    }


    /** The F1 of {@code mark} for majority, left to right and bidirectional, in that order (the row's 3rd, 6th and 9th numbers). */
    static double[] f1s(String table, String mark) {
        Matcher m = Pattern.compile("(?m)^  " + mark + " +((?:\\| [0-9.]+ [0-9.]+ [0-9.]+ *){3})$").matcher(table);
        assertTrue(m.find(), mark + " row in\n" + table);
        String[] numbers = m.group(1).replace("|", " ").trim().split(" +");
        return new double[] {Double.parseDouble(numbers[2]), Double.parseDouble(numbers[5]), Double.parseDouble(numbers[8])};
    }
}

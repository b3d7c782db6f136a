package dev.jrnn.apps;

import static dev.jrnn.apps.RunCommandTest.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn video} on a small run (1,000 training clips, 8 epochs): the GRU must name the action
 * of at least 60% of the held-out clips, where the order-blind average frame stays near chance
 * (1/8), and the captioner must get more words right than always writing the commonest caption.
 */
class VideoCommandTest {


    @Test
    void theGruLearnsActionsAndCaptions(@TempDir Path out) {
        Run run = RunCommandTest.jrnn("video", "--train", "1000", "--test", "200", "--epochs", "8",
                "--out", out.toString(), "--backend", "simd");
        assertEquals(0, run.status(), run.err() + run.out());
        String o = run.out();
        double gru = number(o, "GRU over frames \\(simd\\)\\s+accuracy ([0-9.]+)");
        double blind = number(o, "logistic regression, average frame\\s+accuracy ([0-9.]+)");
        assertTrue(gru >= 0.6 && blind <= 0.3, o);
        double captioner = number(o, "GRU encoder-decoder with attention\\s+exact [0-9.]+, word accuracy ([0-9.]+)");
        double commonest = number(o, "commonest training caption\\s+exact [0-9.]+, word accuracy ([0-9.]+)");
        assertTrue(captioner >= commonest + 0.15, o);
        Pictures.check(run, out.resolve("test-clips.png"), 0, 0);
    }

    @Test
    void aNegativeNoiseIsOneLine() {
        Run run = RunCommandTest.jrnn("video", "--noise", "-0.1");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn video: --noise must not be negative, got -0.1", run.err().strip());
    }
}

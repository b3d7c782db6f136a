package dev.jrnn.apps;

import static dev.jrnn.apps.RunCommandTest.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn digits} on a small slice (3 accents x 3 variants x 2 takes: 80 training clips and as many
 * augmented copies, 100 held-out clips with an unseen accent or variant or both): both models must recognize well over
 * half of the held-out digits (chance is 0.1) and the LSTM's training loss must fall from about
 * ln 10 = 2.3 to below 1.6, which a model that learns nothing cannot do. Tests that synthesize
 * speech are skipped where espeak-ng or sox is missing (a fresh machine; CI installs both).
 */
class DigitsCommandTest {

    @TempDir
    Path temp;

    private static boolean installed(String program) {
        try {
            return new ProcessBuilder(program, "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void assumeSpeechTools() {
        assumeTrue(installed("espeak-ng") && installed("sox"), "espeak-ng and sox are not installed (apt-get install espeak-ng sox)");
    }


    @Test
    void recognizesDigitsOfUnheardVoices() throws IOException {
        assumeSpeechTools();
        Run run = RunCommandTest.jrnn("digits", "--accents", "en-us,en-gb-x-rp,en-029", "--variants", "m1,f2,m3",
                "--held-out-accents", "en-029", "--held-out-variants", "m3", "--takes", "2", "--augment", "1", "--epochs", "15",
                "--out", temp.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        assertTrue(run.out().contains("MFCC (clip mean removed) and deltas 26 per 10 ms frame"), run.out());
        assertTrue(run.out().contains("training: 80 clips and 80 augmented copies"), run.out());
        assertTrue(run.out().contains("held out: 100 clips"), run.out());
        assertTrue(number(run.out(), "logistic regression \\(8 segments\\)\\s+([0-9.]+)") > 0.5, run.out());
        assertTrue(number(run.out(), "bidirectional LSTM \\(64, .*?\\)\\s+([0-9.]+)") > 0.5, run.out());
        assertTrue(number(run.out(), "training loss: [0-9.]+ in the first epoch, ([0-9.]+) in the last") < 1.6, run.out());
        Pictures.check(run, temp.resolve("confusion.png"), 820, 720);
    }

    @Test
    void aHeldOutAccentMissingFromTheAccentsIsOneLine() {
        Run run = RunCommandTest.jrnn("digits", "--accents", "en-us,en-gb", "--held-out-accents", "en-029");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn digits: --held-out-accents must be among --accents, got [en-029]", run.err().strip());
    }

    @Test
    void aVariantEspeakDoesNotKnowIsOneLine() {
        assumeSpeechTools();
        Run run = RunCommandTest.jrnn("digits", "--accents", "en-us,en-gb", "--variants", "m1,robot9", "--held-out-accents", "en-gb",
                "--held-out-variants", "robot9");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn digits: espeak-ng has no voice variant 'robot9' (espeak-ng --voices=variant lists them)", run.err().strip());
    }
}

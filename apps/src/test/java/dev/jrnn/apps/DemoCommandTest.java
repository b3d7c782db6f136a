package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn demo} end to end on the real text, shortened: a small LSTM trained for 400 steps
 * must get below 3.3 bits per character on the held-out chapters. Predicting characters by their
 * frequency alone (what a model that learns nothing converges to) costs 4.50 bits here; this run
 * reached 3.13.
 */
class DemoCommandTest {

    @Test
    void aShortRunLearnsTheHeldOutChaptersAndWritesItsFiles(@TempDir Path out) {
        Run run = RunCommandTest.jrnn("demo", "--steps", "400", "--hidden", "128", "--batch", "32", "--chunk", "64",
                "--length", "80", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        Matcher bits = Pattern.compile("held-out chapters: ([0-9.]+) bits per character").matcher(run.out());
        assertTrue(bits.find(), run.out());
        double bpc = Double.parseDouble(bits.group(1));
        assertTrue(bpc < 3.3, "bits per character " + bpc + "\n" + run.out());
        assertTrue(Files.exists(out.resolve("char-lstm.safetensors")));
        Pictures.check(run, out.resolve("loss.png"), 900, 450);
        assertTrue(run.out().contains("Call me Ishmael. "), run.out());
        assertTrue(run.out().contains("step 400/400 (100%)"), run.out());

        // jrnn generate continues a prompt from that checkpoint: sampled, top-k, greedy and by beam search
        String checkpoint = out.resolve("char-lstm.safetensors").toString();
        for (String[] how : new String[][] {{"--temperature", "0.8"}, {"--top-k", "3"}, {"--temperature", "0"}, {"--beam", "3"}}) {
            Run generated = RunCommandTest.jrnn("generate", "--checkpoint", checkpoint, "--prompt", "The whale ",
                    "--length", "50", how[0], how[1]);
            assertEquals(0, generated.status(), generated.err());
            String text = generated.out().stripTrailing();
            assertTrue(text.startsWith("The whale ") && text.length() == 60, how[0] + ": " + text);
        }
        Run unknown = RunCommandTest.jrnn("generate", "--checkpoint", checkpoint, "--prompt", "\u00dcber");
        assertEquals(Jrnn.USAGE, unknown.status());
        assertTrue(unknown.err().contains("which the model does not know"), unknown.err());
        Run notACheckpoint = RunCommandTest.jrnn("generate", "--checkpoint", out.resolve("loss.png").toString(), "--prompt", "a");
        assertEquals(Jrnn.USAGE, notACheckpoint.status());
        assertTrue(notACheckpoint.err().contains("not a valid safetensors file"), notACheckpoint.err());
    }

    @Test
    void badPromptsAreOneLineAndStatus2(@TempDir Path out) {
        Run empty = RunCommandTest.jrnn("demo", "--steps", "1", "--prompt", "", "--out", out.toString());
        assertEquals(Jrnn.USAGE, empty.status());
        assertTrue(empty.err().contains("--prompt is empty"), empty.err());
        Run unknown = RunCommandTest.jrnn("demo", "--steps", "1", "--prompt", "Call me \u00e6", "--out", out.toString());
        assertEquals(Jrnn.USAGE, unknown.status());
        assertTrue(unknown.err().contains("which the model does not know: Moby-Dick never uses it"), unknown.err());
    }
}

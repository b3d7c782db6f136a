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

    /**
     * A 16 kHz mono 16-bit WAV of {@code seconds} of a sweep from {@code fromHz} to {@code toHz}
     * (or, with {@code rate}, {@code channels} and {@code bits} given, a header of another format).
     */
    static byte[] wav(double fromHz, double toHz, double seconds, double amplitude, int rate, int channels, int bits) {
        int n = (int) (seconds * rate), bytes = n * channels * bits / 8;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(44 + bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + bytes).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) channels).putInt(rate).putInt(rate * channels * bits / 8)
                .putShort((short) (channels * bits / 8)).putShort((short) bits);
        b.put("data".getBytes()).putInt(bytes);
        double phase = 0;
        for (int i = 0; i < n * channels * bits / 16; i++) {
            double hz = fromHz + (toHz - fromHz) * i / n;
            phase += 2 * Math.PI * hz / rate;
            b.putShort((short) (amplitude * 32767 * Math.sin(phase)));
        }
        return b.array();
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.write(file, bytes);
    }

    /**
     * A user's folder of two classes, rising and falling sweeps (five of each, of several lengths
     * and loudnesses, written here): every fifth of each class is held out, so two clips; the
     * logistic regression on segment means tells a rising sweep from a falling one (they differ in
     * which band is loud early and which late) and must get both right. The recurrent model is
     * trained briefly and saved with the class names.
     */
    @Test
    void ownWavFolderIsLearnedAndSaved() throws IOException {
        Path folder = temp.resolve("sweeps");
        for (int i = 0; i < 5; i++) {
            double seconds = 0.3 + 0.05 * i, loudness = 0.3 + 0.1 * i;
            write(folder.resolve("down/" + i + ".wav"), wav(3000 - 100 * i, 400 + 50 * i, seconds, loudness, 16_000, 1, 16));
            write(folder.resolve("up/" + i + ".wav"), wav(400 + 50 * i, 3000 - 100 * i, seconds, loudness, 16_000, 1, 16));
        }
        Run run = RunCommandTest.jrnn("digits", "--wav", folder.toString(), "--epochs", "2", "--hidden", "8", "--augment", "1",
                "--backend", "simd", "--out", temp.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        assertTrue(run.out().contains("10 clips of 2 classes (down, up) from " + folder), run.out());
        assertTrue(run.out().contains("training: 8 clips and 8 augmented copies"), run.out());
        assertTrue(run.out().contains("held out: 2 clips, every fifth of each class"), run.out());
        assertEquals(1.0, number(run.out(), "logistic regression \\(8 segments\\)\\s+([0-9.]+)"), run.out());
        Path model = temp.resolve("digits.safetensors");
        assertTrue(run.out().contains(model.toString()), run.out());
        dev.jrnn.models.train.Checkpoint.SavedModel saved = dev.jrnn.models.train.Checkpoint.loadModel(model);
        assertTrue(saved.model() instanceof dev.jrnn.models.SequenceClassifier, saved.model().getClass().getName());
        assertEquals("down", saved.info().get("class.0"));
        assertEquals("up", saved.info().get("class.1"));
        assertEquals(26, saved.info().get("features.mean").split(",").length, "13 MFCCs and their deltas: " + saved.info());
        Pictures.check(run, temp.resolve("confusion.png"), 820, 720);
    }

    /** Each kind of bad folder or WAV is one line naming the folder or file and what was expected. */
    @Test
    void badWavFoldersAreOneLine() throws IOException {
        byte[] good = wav(500, 2000, 0.3, 0.5, 16_000, 1, 16);
        Path oneClass = temp.resolve("one-class");
        write(oneClass.resolve("a/1.wav"), good);
        write(oneClass.resolve("a/2.wav"), good);
        assertBad(oneClass, oneClass + ": 1 class folder (expected a folder per class, at least two, each of WAV files)");

        Path oneFile = temp.resolve("one-file");
        write(oneFile.resolve("a/1.wav"), good);
        write(oneFile.resolve("a/2.wav"), good);
        write(oneFile.resolve("b/1.wav"), good);
        assertBad(oneFile, oneFile.resolve("b") + ": 1 WAV file (expected at least two per class: one to train on, one to test)");

        Path otherRate = temp.resolve("other-rate");
        write(otherRate.resolve("a/1.wav"), good);
        write(otherRate.resolve("a/2.wav"), good);
        write(otherRate.resolve("b/1.wav"), good);
        write(otherRate.resolve("b/2.wav"), wav(500, 2000, 0.3, 0.5, 44_100, 2, 16));
        assertBad(otherRate, otherRate.resolve("b/2.wav") + ": PCM, 2 channels, 16-bit, 44100 Hz where 16000 Hz mono 16-bit PCM is expected"
                + " (sox IN.wav -r 16000 -c 1 -b 16 OUT.wav converts it)");

        Path truncated = temp.resolve("truncated");
        write(truncated.resolve("a/1.wav"), good);
        write(truncated.resolve("a/2.wav"), good);
        write(truncated.resolve("b/1.wav"), good);
        write(truncated.resolve("b/2.wav"), java.util.Arrays.copyOf(good, 1000));
        assertBad(truncated, truncated.resolve("b/2.wav") + ": truncated: the 'data' chunk at byte 36 declares 9600 bytes, 956 follow");
    }

    private void assertBad(Path folder, String expected) {
        Run run = RunCommandTest.jrnn("digits", "--wav", folder.toString(), "--out", temp.toString());
        assertEquals(Jrnn.USAGE, run.status(), run.out());
        assertEquals("jrnn digits: " + expected, run.err().strip());
    }
}

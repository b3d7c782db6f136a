package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn g2p} on a seeded sample of the real dictionary (2,000 words, 200 held out): after a
 * short training both decoders must make at most 70% of the phoneme errors that reading the
 * spelling as phonemes makes; an untrained or broken model is far above the copy baseline.
 */
class G2pCommandTest {

    private static double per(String output, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what) + "\\s+PER ([0-9.]+)").matcher(output);
        assertTrue(m.find(), what + " missing in: " + output);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void learnsPronunciationsWellBelowTheCopyBaseline(@TempDir Path out) {
        Run run = RunCommandTest.jrnn("g2p", "--words", "2000", "--steps", "1000", "--batch", "32", "--hidden", "64",
                "--beam", "3", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        double copy = per(run.out(), "copy the spelling (baseline)");
        assertTrue(copy > 0.4, "the spelling is far from the IPA: " + run.out());
        assertTrue(per(run.out(), "greedy") < 0.7 * copy, run.out());
        assertTrue(per(run.out(), "beam search, width 3") < 0.7 * copy, run.out());
        BufferedImage map = Pictures.check(run, out.resolve("attention.png"), 0, 0);
        assertTrue(map.getWidth() >= 360 + 36 && map.getHeight() >= 260 + 28, "a column per letter, a row per phoneme");
    }

    @Test
    void phonemeTokensJoinLengthMarksAndAffricatesAndDropStress() {
        assertEquals(List.of("tʃ", "iː", "z"), G2pCommand.phonemes("ˈtʃiːz"));
        assertEquals(List.of("dʒ", "ʌ", "d", "g", "r"), G2pCommand.phonemes("dʒʌd ɡɹ"));
        assertEquals(List.of("a", "i"), G2pCommand.phonemes("ai"), "diphthongs stay two tokens");
    }

    @Test
    void aBadFlagValueIsOneLine() {
        Run run = RunCommandTest.jrnn("g2p", "--beam", "0");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn g2p: --beam must be positive, got 0", run.err().strip());
        run = RunCommandTest.jrnn("g2p", "--held-out", "1");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn g2p: --held-out must be between 0 and 1, got 1.0", run.err().strip());
        run = RunCommandTest.jrnn("g2p", "--steps", "many");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("jrnn g2p: "), run.err());
    }
}

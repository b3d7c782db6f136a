package dev.jrnn.apps;

import static dev.jrnn.apps.RunCommandTest.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn music} end to end on a slice of the real data (the first 10 MIDI pieces and the ABC
 * tunes): a small LSTM trained briefly must predict the held-out notes better than the unigram
 * baseline (what a model that learns nothing converges to), and the tunes it writes must read back.
 */
class MusicCommandTest {

    @Test
    void aShortRunBeatsTheUnigramOnHeldOutNotesAndWritesTunesThatReadBack(@TempDir Path out) {
        Run run = RunCommandTest.jrnn("music", "--pieces", "10", "--steps", "80", "--hidden", "64", "--tunes", "2",
                "--length", "24", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        double lstm = number(run.out(), "LSTM: ([0-9.]+) bits per held-out note");
        double unigram = number(run.out(), "baseline unigram.*: ([0-9.]+) bits per note");
        double bigram = number(run.out(), "baseline bigram.*: ([0-9.]+) bits per note");
        assertTrue(lstm < unigram - 0.3 && lstm < bigram, "LSTM " + lstm + ", unigram " + unigram + ", bigram " + bigram + "\n" + run.out());
        assertTrue(run.out().contains("2 of 2 ABC files parse back to the same notes, 2 of 2 MIDI files read back with the same notes"),
                run.out());
        for (String file : new String[] {"tune-1.abc", "tune-1.mid", "tune-2.abc", "tune-2.mid", "tune-2.png"}) {
            assertTrue(Files.exists(out.resolve(file)), file);
        }
        Pictures.check(run, out.resolve("loss.png"), 900, 450);
        Pictures.check(run, out.resolve("tune-1.png"), 1100, 420);
        assertTrue(run.out().contains("X:1\nT:jrnn music 1, from C C G G A A G2\nM:4/4\nL:1/16\n"), run.out());
        assertTrue(run.out().contains("\nC4 C4 G4 G4 | A4 A4 G8 |"), "the tune starts with the seed\n" + run.out());
    }


    @Test
    void aSeedWithAnUnknownNoteIsOneLineAndStatus2(@TempDir Path out) {
        Run unknown = RunCommandTest.jrnn("music", "--seed", "C C G G H# A G", "--out", out.toString());
        assertEquals(Jrnn.USAGE, unknown.status());
        assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
        assertTrue(unknown.err().startsWith("jrnn music: --seed \"C C G G H# A G\": cannot read '#'"), unknown.err());
        Run rests = RunCommandTest.jrnn("music", "--seed", "z z2", "--out", out.toString());
        assertEquals(Jrnn.USAGE, rests.status());
        assertTrue(rests.err().contains("has no note to start from"), rests.err());
    }
}

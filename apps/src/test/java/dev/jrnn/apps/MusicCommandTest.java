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

    /** Three MIDI files (written by Midi.write) and an ABC file of three tunes: six pieces, every fifth held out. */
    @Test
    void ownFolderOfMidiAndAbcIsLearnedAndSaved(@TempDir Path temp) throws java.io.IOException {
        Path folder = temp.resolve("melodies");
        Files.createDirectories(folder);
        for (int piece = 0; piece < 3; piece++) {
            java.util.List<dev.jrnn.apps.music.Note> notes = new java.util.ArrayList<>();
            for (int i = 0; i < 24; i++) {
                notes.add(new dev.jrnn.apps.music.Note(60 + (i * (piece + 2)) % 12, 2 + 2 * (i % 2)));
            }
            try (java.io.OutputStream o = Files.newOutputStream(folder.resolve("piece-" + piece + ".mid"))) {
                dev.jrnn.apps.music.Midi.write(notes, o);
            }
        }
        Files.writeString(folder.resolve("tunes.abc"), String.join("\n\n",
                "X:1\nT:one\nM:4/4\nL:1/8\nK:C\nCDEF GABc|cBAG FEDC|", "X:2\nT:two\nM:3/4\nL:1/4\nK:G\nGAB|dBG|ABc|BAG|",
                "X:3\nT:three\nM:4/4\nL:1/8\nK:D\nDFAd AFDF|EGBe BGEG|") + "\n");
        Run run = RunCommandTest.jrnn("music", "--folder", folder.toString(), "--steps", "10", "--hidden", "16", "--batch", "4", "--chunk", "16",
                "--tunes", "1", "--length", "8", "--backend", "simd", "--out", temp.resolve("out").toString());
        assertEquals(0, run.status(), run.err() + run.out());
        assertTrue(run.out().contains(folder + ": 3 MIDI files and 3 ABC tunes (0 tunes left out"), run.out());
        assertTrue(run.out().contains("every 5th piece held out: "), run.out());
        double lstm = number(run.out(), "LSTM: ([0-9.]+) bits per held-out note");
        assertTrue(lstm > 0 && lstm < 20, run.out());
        Path model = temp.resolve("out/music.safetensors");
        assertTrue(run.out().contains(model.toString()), run.out());
        assertTrue(dev.jrnn.models.train.Checkpoint.loadModel(model).model() instanceof dev.jrnn.models.LanguageModel);
    }

    /** Each kind of bad file in the folder is one line naming it and what was expected. */
    @Test
    void badMusicFilesAreOneLine(@TempDir Path temp) throws java.io.IOException {
        Path noNotes = temp.resolve("no-notes");
        Files.createDirectories(noNotes);
        Files.writeString(noNotes.resolve("empty.abc"), "X:1\nT:nothing\nM:4/4\nK:C\n|]\n");
        assertBad(noNotes, noNotes.resolve("empty.abc") + ": no tune with notes (1 unreadable: no notes, or a key this cannot read) "
                + "(expected tunes of an X: line, headers up to K:, then notes, each tune ended by a blank line)");

        Path truncated = temp.resolve("truncated");
        Files.createDirectories(truncated);
        java.io.ByteArrayOutputStream midi = new java.io.ByteArrayOutputStream();
        java.util.List<dev.jrnn.apps.music.Note> notes = java.util.Collections.nCopies(20, new dev.jrnn.apps.music.Note(60, 4));
        dev.jrnn.apps.music.Midi.write(notes, midi);
        Files.write(truncated.resolve("cut.mid"), java.util.Arrays.copyOf(midi.toByteArray(), midi.size() / 2));
        assertBad(truncated, truncated.resolve("cut.mid") + ": truncated: the 'MTrk' chunk at byte 14 declares " + (midi.size() - 22)
                + " bytes, " + (midi.size() / 2 - 22) + " follow");

        Path fewNotes = temp.resolve("few-notes");
        Files.createDirectories(fewNotes);
        try (java.io.OutputStream o = Files.newOutputStream(fewNotes.resolve("short.mid"))) {
            dev.jrnn.apps.music.Midi.write(notes.subList(0, 5), o);
        }
        assertBad(fewNotes, fewNotes.resolve("short.mid") + ": no part of at least 16 notes (channel 10, drums, is not read)");

        Path few = temp.resolve("few");
        Files.createDirectories(few);
        try (java.io.OutputStream o = Files.newOutputStream(few.resolve("one.mid"))) {
            dev.jrnn.apps.music.Midi.write(notes, o);
        }
        assertBad(few, few + ": too few pieces to hold any out: use at least 5 (every 5th is held out; a MIDI file or an ABC tune is a piece)");
    }

    private static void assertBad(Path folder, String expected) {
        Run run = RunCommandTest.jrnn("music", "--folder", folder.toString(), "--out", folder.resolve("out").toString());
        assertEquals(Jrnn.USAGE, run.status(), run.out());
        assertEquals("jrnn music: " + expected, run.err().strip());
    }
}

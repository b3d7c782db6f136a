package dev.jrnn.apps.music;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A line written as MIDI reads back through {@code javax.sound.midi} as the same notes; the skyline of a part. */
class MidiTest {

    @Test
    void aWrittenLineReadsBackAsTheSameNotes(@TempDir Path dir) throws IOException {
        SplittableRandom random = new SplittableRandom(5);
        List<Note> line = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            line.add(new Note(random.nextInt(5) == 0 ? Note.REST : 21 + random.nextInt(88), 1 + random.nextInt(16)));
        }
        line.add(new Note(60, 3));
        Path file = dir.resolve("line.mid");
        try (OutputStream out = Files.newOutputStream(file)) {
            Midi.write(line, out);
        }
        List<List<Note.Timed>> lines = Midi.lines(file, 1);
        assertEquals(1, lines.size());
        assertEquals(Note.timed(line), lines.getFirst());
        assertEquals(List.of(), Midi.lines(file, 1000), "a part with fewer notes than asked is not a line");
    }

    @Test
    void theSkylineKeepsTheHighestNoteOfEachOnsetAndCutsItAtTheNext() {
        List<Note.Timed> part = List.of(new Note.Timed(60, 0, 8), new Note.Timed(67, 0, 8), new Note.Timed(64, 0, 8),
                new Note.Timed(62, 4, 2), new Note.Timed(72, 8, 4));
        assertEquals(List.of(new Note.Timed(67, 0, 4), new Note.Timed(62, 4, 2), new Note.Timed(72, 8, 4)), Midi.skyline(part));
        assertEquals(List.of(new Note(67, 4), new Note(62, 2), new Note(Note.REST, 2), new Note(72, 4)),
                Note.line(Midi.skyline(part)));
    }
}

package dev.jrnn.apps.music;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Tokens are intervals times length classes: the same melody in any key is the same tokens. */
class MelodyTokensTest {

    @Test
    void aMelodyAndItsTranspositionAreTheSameTokensAndDecodeBack() {
        List<Note> c = List.of(new Note(60, 4), new Note(60, 4), new Note(67, 4), new Note(Note.REST, 2), new Note(69, 8));
        List<Note> d = c.stream().map(n -> n.isRest() ? n : new Note(n.pitch() + 2, n.sixteenths())).toList();
        int[] tokens = MelodyTokens.encode(c);
        assertArrayEquals(tokens, MelodyTokens.encode(d));
        assertEquals(c, MelodyTokens.decode(tokens, 60));
        assertEquals(d, MelodyTokens.decode(tokens, 62));
    }

    @Test
    void lengthsRoundToTheNearestClassAndLeapsFoldIntoAnOctave() {
        List<Note> line = List.of(new Note(60, 5), new Note(79, 4.0 / 3), new Note(40, 40));
        assertEquals(List.of(new Note(60, 4), new Note(67, 1), new Note(64, 16)),
                MelodyTokens.decode(MelodyTokens.encode(line), 60));
    }
}

package dev.jrnn.apps.music;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The ABC reader on the notation it claims, the writer round trip, and tunes it must reject. */
class AbcTest {

    private static List<Note> notes(Object... pitchAndLength) {
        List<Note> line = new ArrayList<>();
        for (int i = 0; i < pitchAndLength.length; i += 2) {
            line.add(new Note((Integer) pitchAndLength[i], ((Number) pitchAndLength[i + 1]).doubleValue()));
        }
        return line;
    }

    @Test
    void readsKeysAccidentalsLengthsTiesTupletsAndChords() {
        Abc.Tune tune = Abc.parse("""
                X:1
                T:Test
                M:6/8
                L:1/8
                K:D
                "D"F2 c ^G=G G | f>e d<c (3ABc | [DFA]2 z A- | A/ B//!trill!c'3/2 {g}d, |]
                """);
        assertEquals("Test", tune.title());
        assertEquals(0, tune.skippedLines());
        // K:D sharpens F and C; ^G holds to the bar's end unless =G cancels it; bars reset it
        assertEquals(notes(66, 4, 73, 2, 68, 2, 67, 2, 67, 2,
                78, 3, 76, 1, 74, 1, 73, 3, 69, 4.0 / 3, 71, 4.0 / 3, 73, 4.0 / 3,
                69, 4, Note.REST, 2, 69, 3, 71, 0.5, 85, 3, 62, 2), tune.notes());
    }

    @Test
    void modesAndMinorKeysHaveTheirSignatures() {
        assertEquals(List.of(65, 70), pitches(Abc.parse("X:1\nT:t\nM:4/4\nL:1/4\nK:Dm\nF B|\n").notes()));
        assertEquals(List.of(66, 72), pitches(Abc.parse("X:1\nT:t\nM:4/4\nL:1/4\nK:ADor\nF c|\n").notes()));
        assertEquals(List.of(63, 68), pitches(Abc.parse("X:1\nT:t\nM:4/4\nL:1/4\nK:Ab\nE A|\n").notes()));
    }

    private static List<Integer> pitches(List<Note> line) {
        return line.stream().map(Note::pitch).toList();
    }

    @Test
    void whatItWritesReadsBackToTheSameNotes() {
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            List<Note> line = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                line.add(new Note(random.nextInt(6) == 0 ? Note.REST : 21 + random.nextInt(88), 1 + random.nextInt(20)));
            }
            String abc = Abc.write(trial, "round trip", line);
            Abc.Tune back = Abc.parse(abc);
            assertEquals(Note.timed(line), Note.timed(back.notes()), abc);
        }
    }

    @Test
    void theStrictParseFailsOnBrokenTunes() {
        String good = Abc.write(1, "good", notes(60, 4, 62, 4));
        assertEquals(2, Abc.parse(good).notes().size());
        var noKey = assertThrows(IllegalArgumentException.class, () -> Abc.parse(good.replace("K:C\n", "")));
        assertTrue(noKey.getMessage().contains("no K: header"), noKey.getMessage());
        var badNote = assertThrows(IllegalArgumentException.class, () -> Abc.parse(good.replace("D4", "D4 #4")));
        assertTrue(badNote.getMessage().contains("cannot read '#'"), badNote.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Abc.parse(good.replace("D4", "[DF")));
        assertThrows(IllegalArgumentException.class, () -> Abc.notes("C C X", 4));
    }

    @Test
    void theLenientReaderSkipsAndCountsWhatItCannotRead() {
        Abc.Book book = Abc.read("""
                % a file of three tunes
                X:1
                T:one
                K:G
                GAB c2 | d & e |
                F4 |

                X:2
                T:pipes
                K:Hp
                ABc |

                X:3
                T:two voices
                K:C
                V:1
                C2 D2 |
                V:2
                E,2 F,2 |
                V:1
                E4 |
                """);
        assertEquals(2, book.tunes().size());
        assertEquals(1, book.unreadTunes());
        assertEquals(1, book.skippedLines());
        assertEquals(notes(66, 8), book.tunes().get(0).notes());
        assertEquals(notes(60, 4, 62, 4, 64, 8), book.tunes().get(1).notes());
    }
}

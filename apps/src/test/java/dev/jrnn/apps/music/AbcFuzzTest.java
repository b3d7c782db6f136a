package dev.jrnn.apps.music;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * {@link Abc} under coverage-guided fuzzing: any text is read leniently as a book of tunes
 * ({@link Abc#read}: what it cannot read is counted, never thrown), and strictly as one tune
 * ({@link Abc#parse}: the documented {@link IllegalArgumentException} saying what is wrong); never
 * another exception or a hang. Each build replays the committed inputs
 * ({@code AbcFuzzTestInputs/abc}: abcmidi's and abcm2ps's example tunes, and every finding);
 * {@code JAZZER_FUZZ=1} fuzzes (scripts/fuzz).
 */
class AbcFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void abc(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1); // as music reads a file: Latin-1 takes any bytes
        Abc.read(text);
        try {
            Abc.parse(text);
        } catch (IllegalArgumentException expected) {
            // the contract of a strict parse
        }
    }
}

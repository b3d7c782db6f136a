package dev.jrnn.apps;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.apps.data.Table;
import dev.jrnn.apps.music.Abc;
import dev.jrnn.apps.music.Midi;
import dev.jrnn.apps.series.SeriesFile;
import dev.jrnn.apps.speech.Wav;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The readers of users' files under coverage-guided fuzzing, with the contract of the models'
 * {@code ReadersFuzzTest}: any bytes give a result or an {@link IOException} naming the problem
 * (for a strict ABC tune, the documented {@link IllegalArgumentException}); never another
 * exception, a hang, or an allocation the file merely declares. Each build replays the committed
 * inputs ({@code src/test/resources/dev/jrnn/apps/UserFilesFuzzTestInputs/<target>}: slices of
 * the real files the commands read, and every finding); {@code JAZZER_FUZZ=1} fuzzes a target.
 */
class UserFilesFuzzTest {

    private static final Path CSV, TSV;

    static {
        try {
            Path folder = Files.createTempDirectory("jrnn-fuzz");
            folder.toFile().deleteOnExit();
            CSV = folder.resolve("table.csv");
            TSV = folder.resolve("table.tsv");
            CSV.toFile().deleteOnExit();
            TSV.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes as a CSV and as a TSV file: read, every column as numbers, and as a series on the first column's times. */
    @FuzzTest(maxDuration = "90s")
    void table(byte[] bytes) throws IOException {
        for (Path file : List.of(CSV, TSV)) {
            Files.write(file, bytes);
            try {
                Table t = Table.read(file);
                for (String column : t.header()) {
                    try {
                        t.numbers(column);
                    } catch (IOException expected) {
                        // a cell that is not a number
                    }
                }
                if (t.header().size() >= 2) {
                    SeriesFile.read(file, List.of(t.header().get(1)), t.header().get(0));
                }
            } catch (IOException expected) {
                // the contract: a malformed table is an IOException
            }
        }
    }

    @FuzzTest(maxDuration = "90s")
    void wav(byte[] bytes) {
        try {
            Wav.read(bytes);
        } catch (IOException expected) {
            // the contract: a malformed WAV, or one of another format, is an IOException
        }
    }

    @FuzzTest(maxDuration = "90s")
    void midi(byte[] bytes) {
        try {
            Midi.lines(bytes, "fuzz.mid", 1);
        } catch (IOException expected) {
            // the contract: a malformed MIDI file is an IOException
        }
    }

    /** A book of tunes is read leniently (no exception at all); one tune strictly (an IllegalArgumentException saying what is wrong). */
    @FuzzTest(maxDuration = "90s")
    void abc(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        Abc.read(text);
        try {
            Abc.parse(text);
        } catch (IllegalArgumentException expected) {
            // the contract of a strict parse
        }
    }
}

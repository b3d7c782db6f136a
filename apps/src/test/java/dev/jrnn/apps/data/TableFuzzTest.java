package dev.jrnn.apps.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.apps.series.SeriesFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link Table} (CSV and TSV) and {@link SeriesFile} (a series on a time column) under
 * coverage-guided fuzzing: any bytes give a result or an {@link IOException} whose message starts
 * with the file's name; never another exception, a hang, or an allocation out of proportion to
 * the file (a time gap is filled only up to a bound set by the rows read). Each build replays the
 * committed inputs ({@code TableFuzzTestInputs/table}: slices of the CSV files the commands read,
 * and every finding); {@code JAZZER_FUZZ=1} fuzzes (scripts/fuzz).
 */
class TableFuzzTest {

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

    /** The bytes as a CSV and as a TSV file: read, every column as numbers, and the second column as a series on the first's times. */
    @FuzzTest(maxDuration = "10s")
    void table(byte[] bytes) throws IOException {
        for (Path file : List.of(CSV, TSV)) {
            Files.write(file, bytes);
            try {
                Table t = Table.read(file);
                for (String column : t.header()) {
                    try {
                        t.numbers(column);
                    } catch (IOException e) {
                        namesTheFile(e, file);
                    }
                }
                if (t.header().size() >= 2) {
                    SeriesFile.read(file, List.of(t.header().get(1)), t.header().get(0));
                }
            } catch (IOException e) {
                namesTheFile(e, file);
            }
        }
    }

    static void namesTheFile(IOException e, Path file) {
        if (e.getMessage() == null || !e.getMessage().startsWith(file.toString())) {
            throw new AssertionError("a message that does not start with the file's name: " + e.getMessage(), e);
        }
    }
}

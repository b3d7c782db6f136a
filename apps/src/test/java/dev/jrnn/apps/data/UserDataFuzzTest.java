package dev.jrnn.apps.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The readers of users' own files under coverage-guided fuzzing: any bytes give a result or an
 * {@link IOException} whose message names the file; never another exception, a hang or an
 * allocation the bytes merely ask for. Each build replays the committed inputs
 * ({@code src/test/resources/.../UserDataFuzzTestInputs/<target>}); {@code JAZZER_FUZZ=1}
 * fuzzes each target for its {@code maxDuration} (scripts/fuzz).
 */
class UserDataFuzzTest {

    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("jrnn-fuzz");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path file(String name, byte[] bytes) throws IOException {
        Path f = DIR.resolve(name);
        Files.write(f, bytes);
        f.toFile().deleteOnExit();
        return f;
    }

    private static void namesTheFile(IOException e, Path file) {
        if (e.getMessage() == null || !e.getMessage().startsWith(file.toString())) {
            throw new AssertionError("a message that does not start with the file's name: " + e.getMessage(), e);
        }
    }

    /**
     * One target for the three readers (one Maven run in scripts/fuzz): the first byte picks the
     * reader and, for labelled texts, CSV or TSV and whether there is a header; the rest is the file.
     */
    @FuzzTest(maxDuration = "10s")
    void readers(byte[] bytes) throws IOException {
        int how = bytes.length == 0 ? 0 : bytes[0] & 0xff;
        byte[] rest = bytes.length == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        Path f = file(switch (how % 4) {
            case 0 -> "text.txt";
            case 1 -> "pairs.tsv";
            case 2 -> "labels.csv";
            default -> "labels.tsv";
        }, rest);
        try {
            switch (how % 4) {
                case 0 -> UserText.read(f);
                case 1 -> SentencePairs.read(f);
                default -> LabelledTexts.read(f, how / 4 % 2 == 0, null, null);
            }
        } catch (IOException e) {
            namesTheFile(e, f);
        }
    }
}

package dev.jrnn.apps.music;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link Midi#lines} under coverage-guided fuzzing: any bytes give lines or an {@link IOException}
 * whose message starts with the file's name (the JDK's reader's own complaints included); never
 * another exception, a hang, or an allocation a chunk merely declares. Each build replays the
 * committed inputs ({@code MidiFuzzTestInputs/midi}: an OpenMSX piece, and every finding);
 * {@code JAZZER_FUZZ=1} fuzzes (scripts/fuzz).
 */
class MidiFuzzTest {

    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("jrnn-fuzz", ".mid");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void midi(byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        try {
            Midi.lines(FILE, 1);
        } catch (IOException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith(FILE.toString())) {
                throw new AssertionError("a message that does not start with the file's name: " + e.getMessage(), e);
            }
        }
    }
}

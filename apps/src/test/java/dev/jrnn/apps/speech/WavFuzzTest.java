package dev.jrnn.apps.speech;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link Wav} under coverage-guided fuzzing: any bytes give samples or an {@link IOException}
 * whose message starts with the file's name (another format, a truncated chunk); never another
 * exception, a hang, or an allocation a chunk merely declares. Each build replays the committed
 * inputs ({@code WavFuzzTestInputs/wav}: a cut of an espeak-ng clip as sox writes it, and every
 * finding); {@code JAZZER_FUZZ=1} fuzzes (scripts/fuzz).
 */
class WavFuzzTest {

    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("jrnn-fuzz", ".wav");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void wav(byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        try {
            Wav.read(FILE);
        } catch (IOException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith(FILE.toString())) {
                throw new AssertionError("a message that does not start with the file's name: " + e.getMessage(), e);
            }
        }
    }
}

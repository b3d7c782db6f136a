package dev.jrnn.models.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The readers' contract under coverage-guided fuzzing (Jazzer), shared by every {@code *FuzzTest}:
 * any bytes give a result or an {@link IOException} naming the file and the problem; never another
 * exception, a hang, or an allocation the file merely declares (the fuzzing JVM's heap is small:
 * such an allocation is an {@link OutOfMemoryError}, a finding). Each build replays the committed
 * inputs ({@code src/test/resources/.../<Test>Inputs/<method>}, seeded from real files and from
 * every finding); {@code JAZZER_FUZZ=1} fuzzes a target for its {@code maxDuration}. One target
 * per class: Jazzer fuzzes one per JVM, and scripts/fuzz gives each class a JVM of its own.
 */
public final class FuzzFiles {

    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("jrnn-fuzz", ".bin");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private FuzzFiles() {
    }

    /** The bytes as a file (the same temporary file each time: readers take paths). */
    public static Path file(byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        return FILE;
    }
}

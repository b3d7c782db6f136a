package dev.jrnn.models.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Optimizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The readers' contract under coverage-guided fuzzing: any bytes give a result or an
 * {@link IOException} (which names the file and the problem); never another exception, a hang,
 * or an allocation the file merely declares (the fuzzing JVM's heap is small: such an allocation
 * is an {@link OutOfMemoryError}, a finding). Each build replays the committed inputs
 * ({@code src/test/resources/.../ReadersFuzzTestInputs/<target>}, seeded from real files and
 * from every finding); {@code JAZZER_FUZZ=1} fuzzes each target for its {@code maxDuration}.
 */
class ReadersFuzzTest {

    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("jrnn-fuzz", ".bin");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The model a checkpoint is loaded into: small, built once. */
    private static final class Target {
        static final LanguageModel MODEL = new LanguageModel(CellKind.GRU, 5, 4, 8, 1, 0.0, 1).backend("reference");
        static final Optimizer ADAM = Optimizer.adam(MODEL, 0.01);
    }

    private static Path file(byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        return FILE;
    }

    @FuzzTest(maxDuration = "20s")
    void safetensors(byte[] bytes) throws IOException {
        Path f = file(bytes);
        try {
            SafeTensors.metadata(f);
            SafeTensors.read(f);
        } catch (IOException expected) {
            // the contract: malformed input is an IOException
        }
    }

    @FuzzTest(maxDuration = "20s")
    void npy(byte[] bytes) throws IOException {
        Path f = file(bytes);
        try {
            Npy.read(f);
        } catch (IOException expected) {
            // the contract: malformed input is an IOException
        }
    }

    @FuzzTest(maxDuration = "20s")
    void checkpoint(byte[] bytes) throws IOException {
        Path f = file(bytes);
        try {
            Checkpoint.load(f, Target.MODEL, Target.ADAM);
        } catch (IOException expected) {
            // the contract: malformed input, or a checkpoint of another model, is an IOException
        }
    }
}

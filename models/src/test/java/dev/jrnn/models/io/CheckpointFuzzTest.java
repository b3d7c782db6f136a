package dev.jrnn.models.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Optimizer;
import java.io.IOException;

/** {@link Checkpoint#load} into a given model under the readers' fuzzing contract ({@link FuzzFiles}). */
class CheckpointFuzzTest {

    /** The model a checkpoint is loaded into: small, built once. */
    private static final class Target {
        static final LanguageModel MODEL = new LanguageModel(CellKind.GRU, 5, 4, 8, 1, 0.0, 1).backend("reference");
        static final Optimizer ADAM = Optimizer.adam(MODEL, 0.01);
    }

    @FuzzTest(maxDuration = "10s")
    void checkpoint(byte[] bytes) throws IOException {
        try {
            Checkpoint.load(FuzzFiles.file(bytes), Target.MODEL, Target.ADAM);
        } catch (IOException expected) {
            // the contract: malformed input, or a checkpoint of another model, is an IOException
        }
    }
}

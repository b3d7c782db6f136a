package dev.jrnn.models.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;

/**
 * {@link Checkpoint#loadModel}, which builds a model of the shape the file describes, under the
 * readers' fuzzing contract ({@link FuzzFiles}): a description may not make it allocate more than
 * the file could fill.
 */
class SavedModelFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void savedModel(byte[] bytes) throws IOException {
        try {
            Checkpoint.loadModel(FuzzFiles.file(bytes)).model();
        } catch (IOException expected) {
            // the contract: malformed input is an IOException
        }
    }
}

package dev.jrnn.models.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.models.ModelDescription;
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
        java.nio.file.Path file = FuzzFiles.file(bytes);
        String fromFile, fromBytes;
        try {
            fromFile = ModelDescription.of(Checkpoint.loadModel(file).model()).toString();
        } catch (IOException e) { // the contract: malformed input is an IOException
            fromFile = e.getMessage().replace(file.toString(), "bytes");
        }
        try { // the same bytes in memory (what a cluster broadcasts) meet the same checks
            fromBytes = ModelDescription.of(Checkpoint.loadModel(bytes, "bytes").model()).toString();
        } catch (IOException e) {
            fromBytes = e.getMessage();
        }
        if (!fromFile.equals(fromBytes)) {
            throw new IllegalStateException("the file and its bytes load differently: " + fromFile + " / " + fromBytes);
        }
    }
}

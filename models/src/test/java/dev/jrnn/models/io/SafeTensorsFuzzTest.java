package dev.jrnn.models.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Path;

/** {@link SafeTensors} under the readers' fuzzing contract ({@link FuzzFiles}). */
class SafeTensorsFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void safetensors(byte[] bytes) throws IOException {
        Path f = FuzzFiles.file(bytes);
        try {
            SafeTensors.metadata(f);
            SafeTensors.read(f);
        } catch (IOException expected) {
            // the contract: malformed input is an IOException
        }
    }
}

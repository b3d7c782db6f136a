package dev.jrnn.models.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;

/** {@link Npy} under the readers' fuzzing contract ({@link FuzzFiles}). */
class NpyFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void npy(byte[] bytes) throws IOException {
        try {
            Npy.read(FuzzFiles.file(bytes));
        } catch (IOException expected) {
            // the contract: malformed input is an IOException
        }
    }
}

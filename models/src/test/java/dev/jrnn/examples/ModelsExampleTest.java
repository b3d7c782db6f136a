package dev.jrnn.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.runtime.BackendSelector;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's models example runs, learns, and draws its loss curve. */
class ModelsExampleTest {

    @Test
    void theExampleLearnsAndDrawsItsCurve(@TempDir Path temp) throws Exception {
        String before = System.getProperty(BackendSelector.BACKEND_PROPERTY);
        System.setProperty(BackendSelector.BACKEND_PROPERTY, "simd"); // not the core tests' own test backends
        try {
            double accuracy = ModelsExample.run(temp.resolve("loss.csv"));
            assertTrue(accuracy >= 0.95, "accuracy " + accuracy);
            assertTrue(Files.readString(temp.resolve("loss.csv")).startsWith("series,step,loss\ntraining,1,"));
        } finally {
            if (before == null) {
                System.clearProperty(BackendSelector.BACKEND_PROPERTY);
            } else {
                System.setProperty(BackendSelector.BACKEND_PROPERTY, before);
            }
        }
    }
}

package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn sentiment} on one domain's real sentences (Amazon, 5-fold cross-validation: 800 to
 * train, 200 to test, five times): both GRUs must beat 0.7 held-out accuracy, which chance (0.5,
 * the majority baseline here) does not reach.
 */
class SentimentCommandTest {

    @Test
    void theGrusLearnOneDomain(@TempDir Path out) {
        Run run = RunCommandTest.jrnn("sentiment", "--domains", "amazon", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        for (String model : new String[] {"GRU \\(left to right\\)", "bidirectional GRU", "bag-of-words logistic regression"}) {
            Matcher m = Pattern.compile(model + "\\s+accuracy ([0-9.]+)").matcher(run.out());
            assertTrue(m.find(), run.out());
            assertTrue(Double.parseDouble(m.group(1)) > 0.7, model + ": " + run.out());
        }
        assertTrue(Files.exists(out.resolve("sentiment-gru.safetensors")), run.out());
    }

    @Test
    void anUnknownDomainIsOneLine() {
        Run run = RunCommandTest.jrnn("sentiment", "--domains", "twitter");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn sentiment: unknown domain 'twitter'; known: amazon, imdb, yelp", run.err().strip());
    }

    @Test
    void tooFewFoldsIsOneLine() {
        Run run = RunCommandTest.jrnn("sentiment", "--folds", "1");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn sentiment: --folds must be at least 2, got 1", run.err().strip());
    }
}

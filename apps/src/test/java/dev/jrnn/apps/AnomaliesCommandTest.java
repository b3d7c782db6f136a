package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn anomalies} on the first 3,000 readings of each mote (train on 1,200 each; both
 * labelled events lie in the held-out part): the GRU's residual flags must reach F1 0.5 and beat
 * the rolling z-score (flagging nothing scores 0, flagging everything below 0.05), and its one-step
 * forecasts of normal readings must be within 10% of persistence's RMSE (misaligned or mis-scaled
 * forecasts miss by far). Honestly weak as a test of learning: the GRU reads changes from the last
 * reading, so even an untrained one starts near persistence, and persistence's own residuals
 * detect as well as the GRU's here; the test claims neither more. Scoring each reading by the
 * residuals of the last 20 must keep the sustained events flagged: recall at least 0.9 (one
 * residual alone reaches 0.66) and F1 above one residual's; on this slice the GRU and persistence
 * nearly tie that way too (0.811 and 0.807), so the test asks only that the GRU not do worse.
 */
class AnomaliesCommandTest {

    @TempDir
    Path temp;

    @Test
    void forecastResidualsFindTheEvents() {
        Run run = RunCommandTest.jrnn("anomalies", "--readings", "3000", "--backend", "simd", "--out", temp.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        double gru = f1(run.out(), "GRU forecast residual"), z = f1(run.out(), "rolling z-score \\(20 readings\\)");
        assertTrue(gru > 0.5 && gru > z, run.out());
        double run20 = f1(run.out(), "GRU residuals, last 20 readings"), last20 = f1(run.out(), "persistence residuals, last 20");
        Matcher recall = Pattern.compile("GRU residuals, last 20 readings\\s+[0-9.]+\\s+([0-9.]+)").matcher(run.out());
        assertTrue(recall.find() && Double.parseDouble(recall.group(1)) >= 0.9, run.out());
        assertTrue(run20 > gru && run20 >= last20, run.out());
        Matcher rmse = Pattern.compile("humidity GRU ([0-9.]+), persistence ([0-9.]+); temperature GRU ([0-9.]+), persistence ([0-9.]+)")
                .matcher(run.out());
        assertTrue(rmse.find(), run.out());
        for (int channel = 0; channel < 2; channel++) {
            double gruRmse = Double.parseDouble(rmse.group(2 * channel + 1)), last = Double.parseDouble(rmse.group(2 * channel + 2));
            assertTrue(gruRmse < 1.1 * last, run.out());
        }
        Pictures.check(run, temp.resolve("mote-1.png"), 1100, 480);
        Pictures.check(run, temp.resolve("mote-1-scores.png"), 1100, 480);
    }

    private static double f1(String out, String detector) {
        Matcher m = Pattern.compile(detector + "\\s+[0-9.]+\\s+[0-9.]+\\s+([0-9.]+)").matcher(out);
        assertTrue(m.find(), detector + " in " + out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aTrainingFractionOutsideZeroToOneIsOneLine() {
        Run run = RunCommandTest.jrnn("anomalies", "--train-fraction", "1.5");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn anomalies: --train-fraction must be between 0 and 1, got 1.5", run.err().strip());
    }
}

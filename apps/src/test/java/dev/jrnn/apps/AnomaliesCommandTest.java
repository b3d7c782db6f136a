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

    /**
     * A user's readings with three spikes of 40 deviations in the held-out part: with a label
     * column the rolling z-score (whose threshold, the training part's largest score, no spike
     * reaches there) must find all three, and the model is saved; without one the GRU's flags are
     * listed by file line and include the spikes' lines.
     */
    @Test
    void ownCsvWithAndWithoutLabels() throws java.io.IOException {
        StringBuilder csv = new StringBuilder("level,anomaly\n");
        int[] spikes = {260, 300, 350};
        for (int t = 0; t < 400; t++) {
            int step = t;
            boolean spike = java.util.Arrays.stream(spikes).anyMatch(s -> s == step);
            double level = 20 + Math.sin(t / 5.0) + 0.05 * Math.cos(t * 2.3) + (spike ? 40 : 0);
            csv.append(level).append(',').append(spike ? 1 : 0).append('\n');
        }
        Path file = temp.resolve("readings.csv");
        java.nio.file.Files.writeString(file, csv);
        Run run = RunCommandTest.jrnn("anomalies", "--csv", file.toString(), "--column", "level", "--label-column", "anomaly",
                "--window", "10", "--score-window", "3", "--hidden", "8", "--epochs", "2", "--train-fraction", "0.5",
                "--backend", "simd", "--out", temp.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        assertTrue(run.out().contains("readings (level): 400 readings, 200 to train (0 labelled), 200 held out (3 labelled)"), run.out());
        Matcher z = Pattern.compile("rolling z-score \\(10 readings\\)\\s+[0-9.]+\\s+([0-9.]+)").matcher(run.out());
        assertTrue(z.find() && Double.parseDouble(z.group(1)) == 1.0, run.out());
        Path model = temp.resolve("readings.safetensors");
        assertTrue(run.out().contains("model (a SequenceRegressor; inputs and outputs scaled as its info says): " + model), run.out());
        assertTrue(dev.jrnn.models.train.Checkpoint.loadModel(model).model() instanceof dev.jrnn.models.SequenceRegressor);
        Pictures.check(run, temp.resolve("readings.png"), 1100, 480);

        Run unlabelled = RunCommandTest.jrnn("anomalies", "--csv", file.toString(), "--column", "level",
                "--window", "10", "--score-window", "3", "--hidden", "8", "--epochs", "2", "--train-fraction", "0.5",
                "--backend", "simd", "--out", temp.toString());
        assertEquals(0, unlabelled.status(), unlabelled.err() + unlabelled.out());
        assertTrue(unlabelled.out().contains("no labels: flags listed, not scored"), unlabelled.out());
        for (int s : spikes) {
            assertTrue(unlabelled.out().contains("line " + (s + 2)), "the spike on line " + (s + 2) + "\n" + unlabelled.out());
        }
    }

    @Test
    void aBadLabelIsOneLine() throws java.io.IOException {
        Path file = temp.resolve("labels.csv");
        java.nio.file.Files.writeString(file, "level,anomaly\n1,0\n2,yes\n");
        Run run = RunCommandTest.jrnn("anomalies", "--csv", file.toString(), "--column", "level", "--label-column", "anomaly");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn anomalies: " + file + ":3: label 'yes' in column anomaly (expected 1 or true for an anomaly; 0, false or empty otherwise)",
                run.err().strip());
    }
}

package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.io.IOException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn forecast} on slices of real series: the last 1,000 weeks of CO2 (train on 800,
 * forecast 26 weeks ahead over the last 200) and the last 1,000 days of Seattle weather (next
 * day). On both the GRU must beat persistence and the seasonal-naive baseline; a model that
 * learned nothing predicts "no change", which is persistence itself.
 */
class ForecastCommandTest {

    @TempDir
    Path temp;

    @Test
    void theGruBeatsTheBaselinesOnCo2AndSeattle() throws IOException {
        Run run = RunCommandTest.jrnn("forecast", "--series", "co2,seattle", "--last", "1000", "--backend", "simd",
                "--out", temp.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        for (String series : new String[] {"CO2", "Seattle"}) {
            String part = run.out().substring(run.out().indexOf(series));
            double gru = rmse(part, "GRU"), persistence = rmse(part, "persistence"), seasonal = rmse(part, "seasonal naive \\(\\d+ steps\\)");
            assertTrue(gru < persistence && gru < seasonal, series + ": " + run.out());
        }
        Pictures.check(run, temp.resolve("co2.png"), 1100, 480);
        Pictures.check(run, temp.resolve("seattle.png"), 1100, 480);
    }

    /**
     * Sunspots, the whole series: on square roots of the counts, with its epochs chosen on the
     * training part's last 20% (18 of at most 60), the GRU must beat persistence by far and beat
     * the 11-year seasonal naive (RMSE 37.3 against 38.0, MAE 24.3 against 28.2: at least 10%
     * lower). Trained for all 60 epochs on the counts it overfit and lost to seasonal naive by 18%
     * (RMSE 44.9).
     */
    @Test
    void theGruBeatsSeasonalNaiveOnSunspots() {
        Run run = RunCommandTest.jrnn("forecast", "--series", "sunspots", "--backend", "simd", "--out", temp.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        String seasonalNaive = "seasonal naive \\(11 steps\\)";
        double gru = rmse(run.out(), "GRU"), persistence = rmse(run.out(), "persistence"), seasonal = rmse(run.out(), seasonalNaive);
        assertTrue(gru < 0.6 * persistence && gru < seasonal, run.out());
        assertTrue(mae(run.out(), "GRU") < 0.9 * mae(run.out(), seasonalNaive), run.out());
        Matcher epochs = Pattern.compile("last \\d+ steps, (\\d+) epochs").matcher(run.out());
        assertTrue(epochs.find() && Integer.parseInt(epochs.group(1)) < 60, run.out());
    }

    private static double mae(String out, String model) {
        Matcher m = Pattern.compile("\\n  " + model + "\\s+[0-9.]+\\s+([0-9.]+)").matcher(out);
        assertTrue(m.find(), model + " in " + out);
        return Double.parseDouble(m.group(1));
    }

    private static double rmse(String out, String model) {
        Matcher m = Pattern.compile("\\n  " + model + "\\s+([0-9.]+)").matcher(out);
        assertTrue(m.find(), model + " in " + out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void anUnknownSeriesIsOneLine() {
        Run run = RunCommandTest.jrnn("forecast", "--series", "nile");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn forecast: unknown series 'nile'; known: sunspots, co2, seattle, sp500", run.err().strip());
    }

    @Test
    void aTailShorterThanTheHorizonIsOneLine() {
        Run run = RunCommandTest.jrnn("forecast", "--series", "co2", "--last", "200", "--test-fraction", "0.1");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn forecast: co2: the held-out tail (20 steps) is shorter than the horizon 26", run.err().strip());
    }

    @Test
    void aTrainingPartShorterThanASeasonOrCountsBelowZeroAreOneLine() {
        Run run = RunCommandTest.jrnn("forecast", "--series", "seattle", "--last", "400");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn forecast: seattle: the training part (320 steps) must be at least one season (365) and one window plus"
                + " horizon (31) long", run.err().strip());
        run = RunCommandTest.jrnn("forecast", "--series", "seattle", "--sqrt");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn forecast: seattle has negative values: --sqrt needs a series of counts", run.err().strip());
    }
}

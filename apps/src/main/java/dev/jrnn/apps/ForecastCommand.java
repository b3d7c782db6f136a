package dev.jrnn.apps;

import dev.jrnn.apps.data.Corpora;
import dev.jrnn.apps.charts.LineChart;
import dev.jrnn.apps.series.Metrics;
import dev.jrnn.apps.data.Table;
import dev.jrnn.apps.series.SeriesFile;
import dev.jrnn.apps.series.WindowForecaster;
import dev.jrnn.models.train.Checkpoint;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn forecast}: multi-step forecasts of real series over a held-out tail, by a GRU
 * ({@link WindowForecaster}, direct multi-step) against persistence (the last value) and
 * seasonal-naive (the value one season before) baselines scored by the same code, with a PNG of
 * forecast against truth per series. Yearly sunspots, weekly Mauna Loa CO2, next-day Seattle
 * maximum temperature from the day's weather, and the S&P 500 (against the random walk, which is
 * persistence). Choices are made without the held-out tail: sunspots' epochs on the training
 * part's last 20%, and {@code --validate} scores any settings on that part instead of the tail.
 */
@Command(name = "forecast", mixinStandardHelpOptions = true,
        description = "Time-series forecasting (GRU, direct multi-step) on a held-out tail against persistence and seasonal-naive baselines.")
final class ForecastCommand implements Callable<Integer> {

    static final List<String> SERIES = List.of("sunspots", "co2", "seattle", "sp500");

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--series", split = ",", defaultValue = "sunspots,co2,seattle,sp500", description = "which series (default all: ${DEFAULT-VALUE})")
    List<String> series;

    @Option(names = "--epochs", defaultValue = "0", description = "passes over the training windows (default 0: each series' own)")
    int epochs;

    @Option(names = "--hidden", defaultValue = "0", description = "GRU units (default 0: each series' own)")
    int hidden;

    @Option(names = "--window", defaultValue = "0", description = "steps the GRU reads (default 0: each series' own)")
    int window;

    @Option(names = "--weight-decay", defaultValue = "-1", description = "AdamW weight decay (default: each series' own)")
    double weightDecay;

    @Option(names = "--sqrt", negatable = true, description = "model the square root of the series (default: each series' own)")
    Boolean sqrt;

    @Option(names = "--seasonal-base", negatable = true, description = "the GRU corrects seasonal naive instead of the last value (default: each series' own)")
    Boolean seasonalBase;

    @Option(names = "--early-stopping", defaultValue = "-1",
            description = "share of the training part's end held out to choose the epochs, then trained on again (0: none; default: each series' own)")
    double earlyStopping;

    @Option(names = "--validate", description = "for choosing settings: drop the held-out tail and score on the training part's last --test-fraction instead")
    boolean validate;

    @Option(names = "--test-fraction", defaultValue = "0.2", description = "the held-out tail's share of each series (default ${DEFAULT-VALUE})")
    double testFraction;

    @Option(names = "--last", defaultValue = "0", description = "use only the last N steps of each series (default 0: all)")
    int last;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--csv", paramLabel = "FILE", description = "your own series instead of the built-in ones: a CSV (or TSV) file with a header row")
    Path csv;

    @Option(names = "--column", paramLabel = "NAME", description = "with --csv: the column to forecast")
    String column;

    @Option(names = "--time-column", paramLabel = "NAME",
            description = "with --csv: the column of times (numbers, ISO dates or date-times); missing and irregular steps are reported (default: rows are steps)")
    String timeColumn;

    @Option(names = "--horizon", defaultValue = "0", description = "steps ahead to forecast (default 0: each series' own; 1 for --csv)")
    int horizon;

    @Option(names = "--season", defaultValue = "-1", description = "steps in a season, for the seasonal-naive baseline (0: none; default: each series' own, none for --csv)")
    int season;

    @Option(names = "--out", defaultValue = "jrnn-forecast", description = "folder for the pictures and the models (default ${DEFAULT-VALUE})")
    Path out;

    /**
     * simd by default: auto times forward passes only and picks onednn for these small GRUs, but
     * training re-prepares the stack after every optimizer step, which costs onednn far more
     * (jrnn forecast took 2.7 min on onednn against 0.4 min on simd).
     */
    @Mixin
    BackendOption backend = new BackendOption();

    /**
     * One series: {@code time} in (decimal) years for the picture; {@code covariates} are the
     * other inputs; {@code season} in steps (0: none); window, horizon and epochs are its defaults.
     */
    record Series(String name, String title, String unit, double[] time, double[] values, double[][] covariates,
                  int season, int window, int horizon, int epochs, Choice choice, String axis, String where, boolean[] observed) {

        Series(String name, String title, String unit, double[] time, double[] values, double[][] covariates,
               int season, int window, int horizon, int epochs, Choice choice) {
            this(name, title, unit, time, values, covariates, season, window, horizon, epochs, choice, "year", name, all(values.length));
        }

        Series(String name, String title, String unit, double[] time, double[] values, double[][] covariates,
               int season, int window, int horizon, int epochs) {
            this(name, title, unit, time, values, covariates, season, window, horizon, epochs, Choice.PLAIN);
        }

        /** With another season and horizon (each where given: a season from 0, none; a horizon from 1). */
        Series with(int newSeason, int newHorizon) {
            return new Series(name, title, unit, time, values, covariates, newSeason >= 0 ? newSeason : season, window,
                    newHorizon > 0 ? newHorizon : horizon, epochs, choice, axis, where, observed);
        }

        /** The first {@code steps} steps only. */
        Series first(int steps) {
            double[][] c = Arrays.stream(covariates).map(v -> Arrays.copyOf(v, steps)).toArray(double[][]::new);
            return new Series(name, title, unit, Arrays.copyOf(time, steps), Arrays.copyOf(values, steps), c, season, window, horizon, epochs,
                    choice, axis, where, Arrays.copyOf(observed, steps));
        }

        Series last(int steps) {
            if (steps <= 0 || steps >= values.length) {
                return this;
            }
            int from = values.length - steps;
            double[][] c = Arrays.stream(covariates).map(v -> Arrays.copyOfRange(v, from, v.length)).toArray(double[][]::new);
            return new Series(name, title, unit, Arrays.copyOfRange(time, from, time.length),
                    Arrays.copyOfRange(values, from, values.length), c, season, window, horizon, epochs, choice, axis, where,
                    Arrays.copyOfRange(observed, from, observed.length));
        }

        private static boolean[] all(int n) {
            boolean[] a = new boolean[n];
            Arrays.fill(a, true);
            return a;
        }
    }

    /**
     * How the GRU models a series: on the square root of its values (and of covariates that are the
     * series itself), as corrections to seasonal naive, with a share of the training part's end
     * held out to choose the number of epochs; units and weight decay.
     */
    record Choice(boolean sqrt, boolean seasonalBase, double earlyStopping, int hidden, double weightDecay) {
        static final Choice PLAIN = new Choice(false, false, 0, 32, 1e-4);
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter say = spec.commandLine().getOut();
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("--test-fraction must be between 0 and 1, got " + testFraction);
        }
        if (csv != null) {
            if (column == null) {
                throw new IllegalArgumentException("--csv needs --column, the column to forecast");
            }
            report(say, userSeries(say).with(season, horizon).last(last));
            return 0;
        }
        if (column != null || timeColumn != null) {
            throw new IllegalArgumentException("--column and --time-column go with --csv FILE");
        }
        for (String name : series) {
            if (!SERIES.contains(name)) {
                throw new IllegalArgumentException("unknown series '" + name + "'; known: " + String.join(", ", SERIES));
            }
        }
        for (String name : series) {
            report(say, builtIn(name));
        }
        return 0;
    }

    /** The built-in series {@code name} with the options' season, horizon and length. */
    Series builtIn(String name) throws IOException {
        return load(name).with(season, horizon).last(last);
    }

    /** The user's column, its gaps reported and filled; forecast one step ahead (--horizon) from 24 steps (--window), no season (--season). */
    private Series userSeries(PrintWriter say) throws IOException {
        SeriesFile f = SeriesFile.read(csv, List.of(column), timeColumn);
        say.printf(Locale.ROOT, "%s, column %s: %d rows, %d steps%s; %s%n", csv, column, Arrays.stream(f.lines()).filter(l -> l > 0).count(),
                f.size(), timeColumn == null ? " (one a row)" : " on the time grid of column " + timeColumn, f.gaps());
        String name = column.replaceAll("[^A-Za-z0-9._-]", "_");
        return new Series(name, csv.getFileName() + ": " + column, column, f.time(), f.values()[0], new double[0][],
                0, 24, 1, 20, Choice.PLAIN, f.timeAxis(), csv + " (column " + column + ")", f.observed());
    }

    /**
     * A series' GRU trained as the command trains it, with what scoring it needs: the series as
     * scored ({@code --validate}: without the held-out tail), where its test part starts, the
     * forecast origins in it, whether the GRU models square roots, and its settings.
     */
    record Fitted(Series series, WindowForecaster gru, int trainEnd, int[] origins, boolean root, boolean seasonally,
                  double stopping, int units, WindowForecaster.Settings settings, double seconds) implements AutoCloseable {

        /** The GRU's forecasts from every origin, in the series' own units. */
        double[][][] forecasts() {
            return forecast(gru, origins, root);
        }

        /** The errors of {@code forecasts} (from every origin) against the observed values they forecast. */
        Metrics.Errors errors(double[][][] forecasts) {
            Metrics.Errors e = new Metrics.Errors();
            score(this, forecasts, e, new Metrics.Errors(), new Metrics.Errors());
            return e;
        }

        @Override
        public void close() {
            gru.close();
        }
    }

    /** Trains the GRU on {@code whole} (its training part) with the command's settings; says what it trains on. */
    Fitted fit(PrintWriter say, Series whole) {
        Series s = validate ? whole.first((int) Math.round(whole.values().length * (1 - testFraction))) : whole;
        Choice c = s.choice();
        boolean root = sqrt != null ? sqrt : c.sqrt(), seasonally = seasonalBase != null ? seasonalBase : c.seasonalBase();
        double stopping = earlyStopping >= 0 ? earlyStopping : c.earlyStopping(), decay = weightDecay >= 0 ? weightDecay : c.weightDecay();
        int units = hidden > 0 ? hidden : c.hidden(), steps = window > 0 ? window : s.window();
        int n = s.values().length, trainEnd = (int) Math.round(n * (1 - testFraction)), horizon = s.horizon();
        int epochCount = epochs > 0 ? epochs : s.epochs();
        if (n - trainEnd < horizon) {
            throw new IllegalArgumentException(s.where() + ": the held-out tail (" + (n - trainEnd) + " steps) is shorter than the horizon " + horizon);
        }
        if (trainEnd < Math.max(s.season(), steps + horizon + 1)) {
            throw new IllegalArgumentException(s.where() + ": the training part (" + trainEnd + " steps) must be at least one season ("
                    + s.season() + ") and one window plus horizon (" + (steps + horizon) + ") long");
        }
        say.printf(Locale.ROOT, "%s: %d steps; training %s-%s (%d), %s %s-%s (%d); window %d, horizon %d%n",
                s.title(), n, year(s.time()[0]), year(s.time()[trainEnd - 1]), trainEnd, validate ? "VALIDATION (training part's end)" : "held out",
                year(s.time()[trainEnd]), year(s.time()[n - 1]), n - trainEnd, steps, horizon);
        long start = System.nanoTime();
        if (root && Arrays.stream(s.values()).anyMatch(x -> x < 0)) {
            throw new IllegalArgumentException(s.where() + " has negative values: --sqrt needs a series of counts");
        }
        double[] fitted = root ? Arrays.stream(s.values()).map(Math::sqrt).toArray() : s.values();
        double[][] covariates = Arrays.stream(s.covariates()).map(v -> root && Arrays.equals(v, s.values()) ? fitted : v).toArray(double[][]::new);
        WindowForecaster.Settings settings = new WindowForecaster.Settings(steps, horizon, units, epochCount, 3e-3, seed, backend.name(),
                seasonally ? s.season() : 0, (int) Math.round(trainEnd * stopping), decay);
        WindowForecaster gru = new WindowForecaster(new double[][] {fitted}, covariates, trainEnd, settings);
        try {
            gru.fit();
        } catch (RuntimeException | Error e) {
            gru.close();
            throw e;
        }
        int[] origins = new int[n - trainEnd - horizon + 1];
        Arrays.setAll(origins, i -> trainEnd + i);
        return new Fitted(s, gru, trainEnd, origins, root, seasonally, stopping, units, settings, (System.nanoTime() - start) / 1e9);
    }

    /** Adds each forecast's error and the baselines' (persistence, seasonal naive) from the same origins, on observed values only. */
    private static void score(Fitted f, double[][][] forecasts, Metrics.Errors model, Metrics.Errors persistence, Metrics.Errors seasonal) {
        Series s = f.series();
        double[] v = s.values();
        for (int i = 0; i < f.origins().length; i++) {
            int o = f.origins()[i];
            for (int h = 0; h < s.horizon(); h++) {
                if (!s.observed()[o + h]) {
                    continue; // an interpolated value is no truth to score against
                }
                model.add(forecasts[i][0][h], v[o + h]);
                persistence.add(v[o - 1], v[o + h]);
                if (s.season() > 0) {
                    seasonal.add(v[o + h - s.season()], v[o + h]);
                }
            }
        }
    }

    private void report(PrintWriter say, Series whole) throws IOException {
        try (Fitted f = fit(say, whole)) {
            Series s = f.series();
            WindowForecaster gru = f.gru();
            Metrics.Errors model = new Metrics.Errors(), persistence = new Metrics.Errors(), seasonal = new Metrics.Errors();
            score(f, f.forecasts(), model, persistence, seasonal);
            say.printf(Locale.ROOT, "  %-28s %10s %10s   (%s, %d origins x %d steps ahead)%n", "", "RMSE", "MAE", s.unit(), f.origins().length, s.horizon());
            row(say, "GRU", model);
            row(say, s.season() > 0 ? "persistence" : "persistence (random walk)", persistence);
            if (s.season() > 0) {
                row(say, "seasonal naive (" + s.season() + " steps)", seasonal);
            }
            Path picture = out.resolve(s.name() + ".png"), saved = out.resolve(s.name() + ".safetensors");
            picture(s, f.trainEnd(), gru, f.root(), picture);
            Files.createDirectories(out);
            Map<String, String> info = new LinkedHashMap<>(gru.description());
            info.put("jrnn.command", "forecast");
            info.put("series", s.where());
            info.put("series.sqrt", Boolean.toString(f.root()));
            Checkpoint.saveModel(saved, gru.model(), null, info);
            String how = (f.root() ? "on square roots, " : "") + (f.seasonally() ? "correcting seasonal naive, " : "")
                    + (f.stopping() > 0 ? "epochs chosen on the training part's last " + f.settings().validation() + " steps, " : "");
            say.printf(Locale.ROOT, "  GRU %s, %d units, %s%d epochs in %.1f s on %s (last epoch's training MSE %.3f in scaled units); picture %s%n",
                    s.covariates().length == 0 ? "on the series alone" : "with " + s.covariates().length + " covariates",
                    f.units(), how, gru.epochsTrained(), f.seconds(), gru.backendName(), gru.lastLoss(), picture);
            say.printf(Locale.ROOT, "  model (a SequenceRegressor; inputs and outputs scaled as its info says): %s%n", saved);
            say.flush();
        }
    }

    /** The GRU's forecasts in the series' own units (squared back when it models square roots; never below 0 then). */
    private static double[][][] forecast(WindowForecaster gru, int[] origins, boolean root) {
        double[][][] f = gru.forecast(origins);
        if (root) {
            for (double[][] a : f) {
                for (double[] b : a) {
                    for (int h = 0; h < b.length; h++) {
                        b[h] = Math.max(0, b[h]) * Math.max(0, b[h]);
                    }
                }
            }
        }
        return f;
    }

    private static void row(PrintWriter say, String name, Metrics.Errors e) {
        say.printf(Locale.ROOT, "  %-28s %10.3f %10.3f%n", name, e.rmse(), e.mae());
    }

    private static String year(double t) {
        return String.valueOf((int) Math.floor(t));
    }

    /**
     * The held-out tail (and some of the training part before it) with forecasts made from origins
     * one horizon apart, so each step is forecast once: the picture shows whole horizons.
     */
    private void picture(Series s, int trainEnd, WindowForecaster gru, boolean root, Path file) throws IOException {
        int n = s.values().length, from = Math.max(0, trainEnd - Math.max(2 * s.window(), (n - trainEnd) / 2));
        int[] origins = new int[(n - trainEnd) / s.horizon()];
        Arrays.setAll(origins, i -> trainEnd + i * s.horizon());
        double[][][] f = forecast(gru, origins, root);
        double[] model = nans(n), persistence = nans(n), seasonal = nans(n);
        for (int i = 0; i < origins.length; i++) {
            for (int h = 0; h < s.horizon(); h++) {
                int t = origins[i] + h;
                model[t] = f[i][0][h];
                persistence[t] = s.values()[origins[i] - 1];
                seasonal[t] = s.season() > 0 ? s.values()[t - s.season()] : Double.NaN;
            }
        }
        LineChart chart = new LineChart(s.title() + ": " + s.horizon() + "-step forecasts over the held-out tail", s.axis(), s.unit())
                .line("truth", part(s.time(), from), part(s.values(), from), Color.BLACK)
                .line("GRU", part(s.time(), from), part(model, from), new Color(31, 119, 180))
                .line(s.season() > 0 ? "persistence" : "random walk", part(s.time(), from), part(persistence, from), new Color(150, 150, 150));
        if (s.season() > 0) {
            chart.line("seasonal naive", part(s.time(), from), part(seasonal, from), new Color(255, 127, 14));
        }
        chart.marker("held out", s.time()[trainEnd]).writePng(file, 1100, 480);
    }

    private static double[] nans(int n) {
        double[] a = new double[n];
        Arrays.fill(a, Double.NaN);
        return a;
    }

    private static double[] part(double[] a, int from) {
        return Arrays.copyOfRange(a, from, a.length);
    }

    static Series load(String name) throws IOException {
        return switch (name) {
            case "sunspots" -> {
                Table t = Table.read(Corpora.SUNSPOTS.fetch());
                double[] v = t.numbers("SUNACTIVITY");
                // the level is an input too: a cycle's shape depends on its height (sunspot numbers are never negative)
                // chosen with --validate (never the held-out tail): square roots of the counts, epochs (at most 60) chosen on the
                // training part's last 20%; trained for all 60 epochs on the counts the GRU overfit and lost to seasonal naive
                yield new Series(name, "yearly sunspot number", "sunspot number", t.numbers("YEAR"), v, new double[][] {v},
                        11, 30, 5, 60, new Choice(true, false, 0.2, 32, 1e-4));
            }
            case "co2" -> {
                Table t = Table.read(Corpora.CO2.fetch());
                double[] v = SeriesFile.interpolate(t.numbers("co2")); // the 59 missing weeks all lie before 1986, in the training part
                yield new Series(name, "weekly Mauna Loa CO2", "ppm", years(t.text("date"), DateTimeFormatter.BASIC_ISO_DATE), v,
                        new double[0][], 52, 104, 26, 15);
            }
            case "seattle" -> {
                Table t = Table.read(Corpora.SEATTLE_WEATHER.fetch());
                double[] time = years(t.text("date"), DateTimeFormatter.ISO_LOCAL_DATE);
                double[] sin = new double[time.length], cos = new double[time.length];
                for (int i = 0; i < time.length; i++) { // the time of year, without a jump at New Year
                    sin[i] = Math.sin(2 * Math.PI * time[i]);
                    cos[i] = Math.cos(2 * Math.PI * time[i]);
                }
                yield new Series(name, "Seattle daily maximum temperature", "deg C", time, t.numbers("temp_max"),
                        new double[][] {t.numbers("precipitation"), t.numbers("temp_max"), t.numbers("temp_min"), t.numbers("wind"), sin, cos},
                        365, 30, 1, 30);
            }
            case "sp500" -> {
                Table t = Table.read(Corpora.SP500.fetch());
                yield new Series(name, "S&P 500 daily close", "index points", years(t.text("date"), DateTimeFormatter.ISO_LOCAL_DATE),
                        t.numbers("close"), new double[0][], 0, 30, 1, 10);
            }
            default -> throw new IllegalArgumentException("unknown series '" + name + "'");
        };
    }

    /** Decimal years (2001.5 is the middle of 2001) of dates in {@code format}. */
    static double[] years(String[] dates, DateTimeFormatter format) {
        double[] out = new double[dates.length];
        for (int i = 0; i < dates.length; i++) {
            LocalDate d = LocalDate.parse(dates[i], format);
            out[i] = d.getYear() + (d.getDayOfYear() - 1) / (double) d.lengthOfYear();
        }
        return out;
    }
}

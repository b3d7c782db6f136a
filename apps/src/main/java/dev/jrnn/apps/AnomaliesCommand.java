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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
 * {@code jrnn anomalies}: events in Suthaharan's labelled sensor streams (humidity and temperature
 * of four motes). Per stream a GRU ({@link WindowForecaster}) forecasts the next reading from the
 * ones before; a reading is scored by the root mean square of the forecast errors of it and the
 * readings before it ({@code --score-window}, so an event that lasts stays flagged after the
 * forecaster has caught up with its first jump) and flagged when the score is larger than any on
 * the stream's training part (its first readings, which hold no labelled event). The residuals of
 * persistence (each reading forecast to equal the one before) are scored the same way; both are
 * also shown scored by one residual alone, and a rolling z-score (each reading against the mean
 * and deviation of the window before it) is thresholded the same way. All are scored by
 * precision, recall and F1 against the labels of the held-out part.
 */
@Command(name = "anomalies", mixinStandardHelpOptions = true,
        description = "Event detection in labelled sensor streams: GRU forecast residuals against persistence residuals and a rolling z-score.")
final class AnomaliesCommand implements Callable<Integer> {

    /** The readings have two decimals: a window of identical readings gets this deviation, not 0. */
    private static final double RESOLUTION = 0.01;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--train-fraction", defaultValue = "0.4", description = "each stream's first readings to train on and to set the threshold (default ${DEFAULT-VALUE})")
    double trainFraction;

    @Option(names = "--window", defaultValue = "20", description = "readings the GRU and the z-score look back (default ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--score-window", defaultValue = "20",
            description = "readings whose forecast errors (root mean square) score the last of them, so a sustained event stays flagged (default ${DEFAULT-VALUE})")
    int scoreWindow;

    @Option(names = "--hidden", defaultValue = "16", description = "GRU units (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--epochs", defaultValue = "5", description = "passes over each stream's training windows (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--readings", defaultValue = "0", description = "use only the first N readings of each stream (default 0: all)")
    int readings;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--csv", paramLabel = "FILE", description = "your own readings instead of the sensor streams: a CSV (or TSV) file with a header row")
    Path csv;

    @Option(names = "--column", paramLabel = "NAME", split = ",", description = "with --csv: the column (or columns, comma-separated) of readings")
    List<String> columns;

    @Option(names = "--time-column", paramLabel = "NAME",
            description = "with --csv: the column of times (numbers, ISO dates or date-times); missing and irregular steps are reported (default: rows are steps)")
    String timeColumn;

    @Option(names = "--label-column", paramLabel = "NAME",
            description = "with --csv: a column marking anomalies (1 or true; 0, false or empty otherwise) to score the flags against (default: the flags are listed)")
    String labelColumn;

    @Option(names = "--out", defaultValue = "jrnn-anomalies", description = "folder for the pictures and the models (default ${DEFAULT-VALUE})")
    Path out;

    /** simd by default, as in {@link ForecastCommand}: training re-prepares the stack after every step, which costs onednn far more. */
    @Mixin
    BackendOption backend = new BackendOption();

    /**
     * One stream of readings in order: {@code channels [c][n]} named by {@code names}, the labels
     * ({@code events}, null when there are none), the smallest change a reading can show (a window
     * of identical readings gets this deviation, not 0) and each reading's file line (0: none).
     */
    record Stream(String name, String description, List<String> names, double[][] channels, boolean[] events, double resolution, long[] lines) {
        int size() {
            return channels[0].length;
        }

        boolean labelled() {
            return events != null;
        }

        /** The file name for this stream's pictures and model. */
        String fileName() {
            return name.replaceAll("[^A-Za-z0-9._-]", "-");
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter say = spec.commandLine().getOut();
        if (!(trainFraction > 0 && trainFraction < 1)) {
            throw new IllegalArgumentException("--train-fraction must be between 0 and 1, got " + trainFraction);
        }
        if (scoreWindow < 1) {
            throw new IllegalArgumentException("--score-window must be at least 1 reading, got " + scoreWindow);
        }
        if (window < 2) {
            throw new IllegalArgumentException("--window must be at least 2 readings, got " + window);
        }
        List<Stream> streams;
        if (csv != null) {
            if (columns == null) {
                throw new IllegalArgumentException("--csv needs --column, the column of readings");
            }
            streams = List.of(userStream(say));
        } else if (columns != null || timeColumn != null || labelColumn != null) {
            throw new IllegalArgumentException("--column, --time-column and --label-column go with --csv FILE");
        } else {
            streams = load(readings);
        }
        int channelCount = streams.getFirst().channels().length;
        Metrics.Detection gruTotal = new Metrics.Detection(0, 0, 0), lastTotal = gruTotal, zTotal = gruTotal, gruRunTotal = gruTotal, lastRunTotal = gruTotal;
        Metrics.Errors[] gruErrors = new Metrics.Errors[channelCount], lastErrors = new Metrics.Errors[channelCount];
        for (int j = 0; j < channelCount; j++) {
            gruErrors[j] = new Metrics.Errors();
            lastErrors[j] = new Metrics.Errors();
        }
        List<Path> models = new ArrayList<>();
        long start = System.nanoTime();
        Stream shown = null;
        boolean[][] shownFlags = null;
        double[][] shownScores = null;
        for (Stream s : streams) {
            int trainEnd = (int) Math.round(s.size() * trainFraction);
            if (trainEnd <= window + scoreWindow || s.size() - trainEnd < 1) {
                throw new IllegalArgumentException(s.name() + ": " + s.size() + " readings are too few for a training part of "
                        + trainFraction + ", a window of " + window + " and a score window of " + scoreWindow);
            }
            Path model = out.resolve(s.fileName() + ".safetensors");
            double[][][] forecasts = gruForecasts(s, trainEnd, model), lastValues = lastValues(s);
            models.add(model);
            double[] gruScore = residualScores(s, trainEnd, forecasts, 1), zScore = zScores(s);
            double[] gruRunScore = residualScores(s, trainEnd, forecasts, scoreWindow), lastRunScore = residualScores(s, trainEnd, lastValues, scoreWindow);
            boolean[] gru = flags(gruScore, trainEnd);
            boolean[] last = flags(residualScores(s, trainEnd, lastValues, 1), trainEnd), z = flags(zScore, trainEnd);
            boolean[] gruRun = flags(gruRunScore, trainEnd);
            boolean[] lastRun = flags(lastRunScore, trainEnd);
            for (int j = 0; j < channelCount; j++) { // how well each forecasts normal operation: held-out readings outside events
                for (int t = trainEnd; t < s.size(); t++) {
                    if (!s.labelled() || !s.events()[t]) {
                        gruErrors[j].add(forecasts[t - window][j][0], s.channels()[j][t]);
                        lastErrors[j].add(lastValues[t - window][j][0], s.channels()[j][t]);
                    }
                }
            }
            if (!s.labelled()) {
                listFlags(say, s, trainEnd, gruRun, gru, z);
                if (shown == null) {
                    shown = s;
                    shownFlags = new boolean[][] {gruRun, lastRun, gru, z};
                    shownScores = new double[][] {relative(gruRunScore, trainEnd), relative(lastRunScore, trainEnd),
                            relative(gruScore, trainEnd), relative(zScore, trainEnd)};
                }
                continue;
            }
            Metrics.Detection g = Metrics.Detection.of(gru, s.events(), trainEnd, s.size());
            Metrics.Detection p = Metrics.Detection.of(last, s.events(), trainEnd, s.size());
            Metrics.Detection r = Metrics.Detection.of(z, s.events(), trainEnd, s.size());
            Metrics.Detection gw = Metrics.Detection.of(gruRun, s.events(), trainEnd, s.size());
            Metrics.Detection pw = Metrics.Detection.of(lastRun, s.events(), trainEnd, s.size());
            int trainingEvents = 0;
            for (int t = 0; t < trainEnd; t++) {
                trainingEvents += s.events()[t] ? 1 : 0;
            }
            say.printf(Locale.ROOT, "%s (%s): %d readings, %d to train (%d labelled), %d held out (%d labelled); flags GRU %d, persistence %d, z-score %d; over %d readings GRU %d, persistence %d%n",
                    s.name(), s.description(), s.size(), trainEnd, trainingEvents, s.size() - trainEnd,
                    g.truePositives() + g.falseNegatives(), g.truePositives() + g.falsePositives(), p.truePositives() + p.falsePositives(), r.truePositives() + r.falsePositives(),
                    scoreWindow, gw.truePositives() + gw.falsePositives(), pw.truePositives() + pw.falsePositives());
            gruTotal = gruTotal.plus(g);
            gruRunTotal = gruRunTotal.plus(gw);
            lastRunTotal = lastRunTotal.plus(pw);
            lastTotal = lastTotal.plus(p);
            zTotal = zTotal.plus(r);
            if (shown == null && g.truePositives() + g.falseNegatives() > 0) {
                shown = s;
                shownFlags = new boolean[][] {gruRun, lastRun, gru, z};
                shownScores = new double[][] {relative(gruRunScore, trainEnd), relative(lastRunScore, trainEnd),
                        relative(gruScore, trainEnd), relative(zScore, trainEnd)};
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        boolean labelled = streams.stream().allMatch(Stream::labelled);
        if (labelled) {
            say.printf(Locale.ROOT, "held-out readings of all streams:%n  %-32s %9s %9s %9s %6s %6s %6s%n", "", "precision", "recall", "F1", "TP", "FP", "FN");
            row(say, "GRU residuals, last " + scoreWindow + " readings", gruRunTotal);
            row(say, "persistence residuals, last " + scoreWindow, lastRunTotal);
            row(say, "GRU forecast residual", gruTotal);
            row(say, "persistence residual", lastTotal);
            row(say, "rolling z-score (" + window + " readings)", zTotal);
        }
        StringBuilder rmse = new StringBuilder("one-step forecast RMSE on held-out readings" + (labelled ? " outside events" : "") + ":");
        for (int j = 0; j < channelCount; j++) {
            rmse.append(String.format(Locale.ROOT, "%s %s GRU %.3f, persistence %.3f", j == 0 ? "" : ";", streams.getFirst().names().get(j),
                    gruErrors[j].rmse(), lastErrors[j].rmse()));
        }
        say.println(rmse);
        say.printf(Locale.ROOT, "model%s (a SequenceRegressor; inputs and outputs scaled as its info says): %s%n", models.size() == 1 ? "" : "s",
                models.size() == 1 ? models.getFirst() : models.getFirst() + " to " + models.getLast().getFileName());
        if (shown != null) {
            Path picture = out.resolve(shown.fileName() + ".png"), scores = out.resolve(shown.fileName() + "-scores.png");
            int[] around = around(shown);
            picture(shown, shownFlags, around, picture);
            scoresPicture(shown, shownScores, around, scores);
            say.printf(Locale.ROOT, "%d GRUs (%d units, %d epochs) trained and scored in %.1f s; pictures %s (readings and flags), %s (scores)%n",
                    streams.size(), hidden, epochs, seconds, picture, scores);
        }
        say.flush();
        return 0;
    }

    private static void row(PrintWriter say, String name, Metrics.Detection d) {
        say.printf(Locale.ROOT, "  %-32s %9.3f %9.3f %9.3f %6d %6d %6d%n", name, d.precision(), d.recall(), d.f1(),
                d.truePositives(), d.falsePositives(), d.falseNegatives());
    }

    /** The GRU's one-step forecasts {@code [origins][channel][1]} of readings {@code window ..}; the GRU is saved to {@code model}. */
    private double[][][] gruForecasts(Stream s, int trainEnd, Path model) throws IOException {
        WindowForecaster.Settings settings = new WindowForecaster.Settings(window, 1, hidden, epochs, 3e-3, seed, backend.name());
        try (WindowForecaster gru = new WindowForecaster(s.channels(), new double[0][], trainEnd, settings).fit()) {
            int[] origins = new int[s.size() - window];
            Arrays.setAll(origins, i -> window + i);
            Map<String, String> info = new LinkedHashMap<>(gru.description());
            info.put("jrnn.command", "anomalies");
            info.put("stream", s.name());
            info.put("stream.channels", String.join(",", s.names()));
            Files.createDirectories(out);
            Checkpoint.saveModel(model, gru.model(), null, info);
            return gru.forecast(origins);
        }
    }

    /**
     * An unlabelled stream: how many held-out readings each detector flags, and the readings the
     * GRU's run of residuals flags (the first 20), by file line.
     */
    private void listFlags(PrintWriter say, Stream s, int trainEnd, boolean[] gruRun, boolean[] gru, boolean[] z) {
        List<String> flagged = new ArrayList<>();
        int count = 0;
        for (int t = trainEnd; t < s.size(); t++) {
            if (gruRun[t]) {
                count++;
                if (flagged.size() < 20) {
                    flagged.add(s.lines()[t] > 0 ? "line " + s.lines()[t] : "step " + (t + 1) + " (interpolated)");
                }
            }
        }
        say.printf(Locale.ROOT, "%s (%s): %d readings, %d to train and set the thresholds, %d held out (no labels: flags listed, not scored); "
                        + "flags GRU %d, z-score %d; over %d readings GRU %d%n", s.name(), s.description(), s.size(), trainEnd, s.size() - trainEnd,
                count(gru), count(z), scoreWindow, count);
        say.printf(Locale.ROOT, "  flagged by the GRU's residuals over the last %d readings%s: %s%n", scoreWindow,
                count > flagged.size() ? " (the first " + flagged.size() + ")" : "", flagged.isEmpty() ? "none" : String.join(", ", flagged));
    }

    private static int count(boolean[] flags) {
        int n = 0;
        for (boolean f : flags) {
            n += f ? 1 : 0;
        }
        return n;
    }

    /**
     * The user's readings, gaps reported and filled; labels (when asked for) from the label column,
     * an inserted step never an event. The resolution is the smallest change between readings.
     */
    private Stream userStream(PrintWriter say) throws IOException {
        SeriesFile f = SeriesFile.read(csv, columns, timeColumn);
        say.printf(Locale.ROOT, "%s, column%s %s: %d rows, %d steps%s; %s%n", csv, columns.size() == 1 ? "" : "s", String.join(", ", columns),
                Arrays.stream(f.lines()).filter(l -> l > 0).count(), f.size(), timeColumn == null ? " (one a row)" : " on the time grid of column " + timeColumn,
                f.gaps());
        boolean[] events = null;
        if (labelColumn != null) {
            Table t = Table.read(csv);
            String[] labels = t.text(labelColumn);
            Map<Long, Boolean> byLine = new HashMap<>();
            for (int i = 0; i < labels.length; i++) {
                String l = labels[i].toLowerCase(Locale.ROOT);
                if (!List.of("", "0", "1", "true", "false").contains(l)) {
                    throw new IOException(t.where(i) + "label '" + labels[i] + "' in column " + labelColumn + " (expected 1 or true for an anomaly; 0, false or empty otherwise)");
                }
                byLine.put(t.line(i), l.equals("1") || l.equals("true"));
            }
            events = new boolean[f.size()];
            for (int s = 0; s < events.length; s++) {
                events[s] = byLine.getOrDefault(f.lines()[s], false);
            }
        }
        double resolution = Double.MAX_VALUE;
        for (double[] v : f.values()) {
            for (int t = 1; t < v.length; t++) {
                double d = Math.abs(v[t] - v[t - 1]);
                resolution = d > 0 ? Math.min(resolution, d) : resolution;
            }
        }
        String name = csv.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        return new Stream(name, String.join(", ", columns), columns, f.values(), events, resolution == Double.MAX_VALUE ? 1e-12 : resolution, f.lines());
    }

    /** Persistence in the same shape: each reading forecast to equal the one before. */
    private double[][][] lastValues(Stream s) {
        double[][][] f = new double[s.size() - window][s.channels().length][1];
        for (int i = 0; i < f.length; i++) {
            for (int j = 0; j < s.channels().length; j++) {
                f[i][j][0] = s.channels()[j][window + i - 1];
            }
        }
        return f;
    }

    /**
     * Each reading's largest forecast error over the channels, in units of that channel's error
     * deviation on the training part, as the root mean square over it and the {@code run - 1}
     * readings before (NaN until {@code run} readings have forecasts).
     */
    private double[] residualScores(Stream s, int trainEnd, double[][][] forecasts, int run) {
        double[] score = new double[s.size()];
        Arrays.fill(score, 0, Math.min(window, s.size()), Double.NaN);
        for (int j = 0; j < s.channels().length; j++) {
            double[] error = new double[s.size()];
            double sum = 0;
            for (int t = window; t < s.size(); t++) {
                error[t] = s.channels()[j][t] - forecasts[t - window][j][0];
                sum += t < trainEnd ? error[t] * error[t] : 0;
            }
            double deviation = Math.max(s.resolution(), Math.sqrt(sum / (trainEnd - window)));
            double squares = 0;
            for (int t = window; t < s.size(); t++) {
                squares += error[t] * error[t] - (t - run >= window ? error[t - run] * error[t - run] : 0);
                if (t - run + 1 >= window) {
                    score[t] = Math.max(score[t], Math.sqrt(Math.max(0, squares) / run) / deviation);
                } else {
                    score[t] = Double.NaN;
                }
            }
        }
        return score;
    }

    /** Each reading's largest |z| over the channels against the {@code window} readings before it. */
    private double[] zScores(Stream s) {
        double[] score = new double[s.size()];
        Arrays.fill(score, 0, window, Double.NaN);
        for (double[] v : s.channels()) {
            for (int t = window; t < v.length; t++) {
                double mean = 0, squares = 0;
                for (int i = t - window; i < t; i++) {
                    mean += v[i];
                }
                mean /= window;
                for (int i = t - window; i < t; i++) {
                    squares += (v[i] - mean) * (v[i] - mean);
                }
                double deviation = Math.max(s.resolution(), Math.sqrt(squares / window));
                score[t] = Math.max(score[t], Math.abs(v[t] - mean) / deviation);
            }
        }
        return score;
    }

    /** Flags every reading scoring above the highest score of the training part (readings before {@code trainEnd}). */
    static boolean[] flags(double[] score, int trainEnd) {
        double threshold = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < trainEnd; t++) {
            threshold = Double.isNaN(score[t]) ? threshold : Math.max(threshold, score[t]);
        }
        boolean[] flagged = new boolean[score.length];
        for (int t = trainEnd; t < score.length; t++) {
            flagged[t] = score[t] > threshold;
        }
        return flagged;
    }

    /**
     * The readings drawn, {@code [from, to)}: from 300 before the stream's first labelled event to
     * 300 after its last; without labels, the held-out part and 300 readings before (at most 5,000).
     */
    private int[] around(Stream s) {
        if (!s.labelled()) {
            int trainEnd = (int) Math.round(s.size() * trainFraction), from = Math.max(0, trainEnd - 300);
            return new int[] {from, Math.min(s.size(), from + 5000)};
        }
        int first = -1, last = -1;
        for (int t = 0; t < s.size(); t++) {
            if (s.events()[t]) {
                first = first < 0 ? t : first;
                last = t;
            }
        }
        return new int[] {Math.max(0, first - 300), Math.min(s.size(), last + 300)};
    }

    private static final String[] DETECTORS = {"GRU flags (run of residuals)", "persistence flags (run)", "GRU flags (one residual)", "z-score flags"};
    private static final Color[] DETECTOR_COLORS = {new Color(148, 103, 189), new Color(127, 127, 127), new Color(23, 190, 207), new Color(44, 160, 44)};

    /** {@code score} over its flag threshold (the training part's highest score): above 1, flagged. */
    private static double[] relative(double[] score, int trainEnd) {
        double threshold = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < trainEnd; t++) {
            threshold = Double.isNaN(score[t]) ? threshold : Math.max(threshold, score[t]);
        }
        double[] r = new double[score.length];
        for (int t = 0; t < score.length; t++) {
            r[t] = score[t] / threshold;
        }
        return r;
    }

    /** Each detector's score over its threshold around the labelled events (log scale; 1 is where flags begin). */
    private static void scoresPicture(Stream s, double[][] scores, int[] around, Path file) throws IOException {
        int from = around[0], to = around[1];
        double[] x = new double[to - from], one = new double[to - from];
        Arrays.setAll(x, i -> from + i);
        Arrays.fill(one, 1);
        LineChart chart = new LineChart(s.name() + ": anomaly scores over their thresholds (above 1: flagged)", "reading",
                "score / threshold (log scale)").logarithmicY();
        for (int d = 0; d < scores.length; d++) {
            chart.line(DETECTORS[d].replace("flags", "score"), x, Arrays.copyOfRange(scores[d], from, to), DETECTOR_COLORS[d]);
        }
        chart.line("threshold", x, one, Color.BLACK);
        for (int t = from; t < to; t++) {
            if (s.labelled() && s.events()[t]) {
                chart.span("labelled event", t - 0.5, t + 0.5, new Color(255, 220, 150));
            }
        }
        chart.writePng(file, 1100, 480);
    }

    private static final Color[] CHANNEL_COLORS = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(255, 127, 14), new Color(140, 86, 75)};

    /** The readings around the stream's labelled events, shaded, with each detector's flags as a row of dots below. */
    private static void picture(Stream s, boolean[][] flags, int[] around, Path file) throws IOException {
        int from = around[0], to = around[1];
        double[] x = new double[to - from];
        Arrays.setAll(x, i -> from + i);
        double low = Double.MAX_VALUE, high = -Double.MAX_VALUE;
        LineChart chart = new LineChart(s.name() + ": readings, " + (s.labelled() ? "labelled events " : "") + "and flags", "reading",
                s.labelled() && s.names().equals(List.of("humidity", "temperature")) ? "humidity (%) and temperature (deg C)" : String.join(", ", s.names()));
        for (int j = 0; j < s.channels().length; j++) {
            double[] v = Arrays.copyOfRange(s.channels()[j], from, to);
            low = Math.min(low, Arrays.stream(v).min().orElse(0));
            high = Math.max(high, Arrays.stream(v).max().orElse(0));
            chart.line(s.names().get(j), x, v, CHANNEL_COLORS[j % CHANNEL_COLORS.length]);
        }
        double spacing = s.labelled() ? 4 : Math.max(s.resolution(), (high - low) / 25);
        for (int d = 0; d < flags.length; d++) {
            double[] row = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                row[i] = flags[d][from + i] ? low - spacing * (d + 1) : Double.NaN;
            }
            chart.dots(DETECTORS[d], x, row, DETECTOR_COLORS[d]);
        }
        for (int t = from; t < to; t++) {
            if (s.labelled() && s.events()[t]) {
                chart.span("labelled event", t - 0.5, t + 0.5, new Color(255, 220, 150));
            }
        }
        chart.writePng(file, 1100, 480);
    }

    /** The streams by mote, each in reading order, the first {@code limit} readings of each (0: all). */
    static List<Stream> load(int limit) throws IOException {
        Table t = Table.read(Corpora.SENSORS.fetch());
        double[] mote = t.numbers("mote_id"), indoor = t.numbers("indoor"), humidity = t.numbers("humidity"),
                temperature = t.numbers("temperature"), label = t.numbers("label");
        Map<Integer, List<Integer>> rows = new LinkedHashMap<>();
        for (int i = 0; i < mote.length; i++) {
            rows.computeIfAbsent((int) mote[i], m -> new ArrayList<>()).add(i);
        }
        List<Stream> streams = new ArrayList<>();
        rows.forEach((m, list) -> {
            int n = limit > 0 ? Math.min(limit, list.size()) : list.size();
            double[][] channels = new double[2][n];
            boolean[] events = new boolean[n];
            for (int k = 0; k < n; k++) {
                int i = list.get(k);
                channels[0][k] = humidity[i];
                channels[1][k] = temperature[i];
                events[k] = label[i] == 1;
            }
            streams.add(new Stream("mote " + m, indoor[list.get(0)] == 1 ? "indoor" : "outdoor", List.of("humidity", "temperature"), channels, events,
                    RESOLUTION, new long[n]));
        });
        return streams;
    }
}

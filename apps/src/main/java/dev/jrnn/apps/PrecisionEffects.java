package dev.jrnn.apps;

import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.runtime.BackendSelector;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.data.Vocabulary;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The end-to-end effect of reduced precision on real models (a measurement, not a unit test;
 * {@code scripts/precision-effects}). Each application's model is trained once, in float32 on
 * {@code simd}, on its real data by its command's own code with the command's default options (the
 * demo with fewer steps, {@code --demo-steps}); then the same trained weights score the held-out
 * data on each backend at every precision it runs on this CPU ({@code Backend.precisions()}): the
 * demo's bits per character, the sentiment GRUs' accuracy (cross-validated: every sentence tested
 * once), the spoken digits' accuracy and each forecast series' RMSE. Only the recurrent layers
 * change precision and backend; the embeddings and output layers stay float32 on simd's dense
 * kernels. Each figure is shown with its change from float32 on the same backend, and beside it the
 * largest and the median absolute difference of the outputs it comes from (class or character
 * scores; forecasts in the series' units) from float32's on that backend. The Markdown table, with
 * the CPU and the date, goes to standard output; progress to standard error.
 */
@Command(name = "precision-effects", mixinStandardHelpOptions = true,
        description = "Trains the demo, sentiment, digits and forecast models once in float32 and scores them held out at every precision each backend runs here.")
public final class PrecisionEffects implements Callable<Integer> {

    @Option(names = "--demo-steps", defaultValue = "1000",
            description = "the demo's training steps (default ${DEFAULT-VALUE}; jrnn demo's own 4,200 take 3-8 minutes)")
    long demoSteps;

    @Option(names = "--models", split = ",", defaultValue = "demo,sentiment,digits,forecast",
            description = "which applications (default ${DEFAULT-VALUE})")
    List<String> models;

    @Option(names = "--backends", split = ",", defaultValue = "simd,onednn", description = "where to score (default ${DEFAULT-VALUE})")
    List<String> backends;

    /** Where every model trains, so that a run trains the same weights whatever backends score them. */
    private static final String TRAINING = "simd";
    private static final List<Precision> REDUCED = List.of(Precision.BF16, Precision.INT8);

    /**
     * How a figure reads: its name, the factor it is shown with (accuracy in percent), its decimals
     * and its change's (finer where a change below the figure's last decimal still says something).
     */
    record Metric(String name, double scale, int decimals, int changeDecimals) {
        static final Metric BITS = new Metric("bits per character", 1, 4, 5);
        static final Metric ACCURACY = new Metric("accuracy (%)", 100, 2, 2);

        static Metric rmse(String unit) {
            return new Metric("RMSE (" + unit + ")", 1, 4, 5);
        }

        String format(double value) {
            return String.format(Locale.ROOT, "%." + decimals + "f", value * scale);
        }

        String change(double value) {
            return String.format(Locale.ROOT, "%+." + changeDecimals + "f", value * scale);
        }
    }

    /** A held-out figure and the outputs it was computed from. */
    record Scored(double figure, float[] outputs) {
    }

    /**
     * Trained models (several for cross-validation's folds), how they score on their held-out data,
     * and the range of their recurrent layers' inputs, for int8 on onednn (null: not calibrated).
     */
    record Trained(String name, Metric metric, List<? extends Module> models, Supplier<Scored> score, Calibration inputs) {
    }

    /** Everything trained, closed at the end. */
    private final List<AutoCloseable> opened = new ArrayList<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new PrecisionEffects()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (System.getProperty(DigitsCommand.VECTOR_MATH) == null) { // as jrnn digits: repeatable training
            System.setProperty(DigitsCommand.VECTOR_MATH, "java");
        }
        System.setProperty(BackendSelector.BACKEND_PROPERTY, TRAINING); // the dense layers' kernels, throughout
        PrintWriter log = new PrintWriter(System.err, true);
        List<String> rows = new ArrayList<>(), notes = new ArrayList<>();
        try {
            for (String model : models) {
                long start = System.nanoTime();
                List<Trained> trained = switch (model) {
                    case "demo" -> List.of(demo(log));
                    case "sentiment" -> sentiment(log);
                    case "digits" -> List.of(digits(log));
                    case "forecast" -> forecast(log);
                    default -> throw new IllegalArgumentException("unknown model '" + model + "'; known: demo, sentiment, digits, forecast");
                };
                log.printf(Locale.ROOT, "%s: trained in %.0f s; scoring%n", model, (System.nanoTime() - start) / 1e9);
                for (Trained t : trained) {
                    rows.addAll(rows(t, notes));
                }
            }
        } finally {
            for (AutoCloseable c : opened) {
                c.close();
            }
        }
        PrintWriter out = new PrintWriter(System.out, true);
        out.printf(Locale.ROOT, "%s, %d cores, JDK %s, %s; backends: %s%n", cpu(), Runtime.getRuntime().availableProcessors(),
                Runtime.version(), LocalDate.now(ZoneOffset.UTC), implementations());
        out.printf(Locale.ROOT, "trained once in float32 on %s (demo --steps %d; the others their commands' defaults); each figure's "
                + "change from float32 on the same backend in brackets; outputs: largest / median |difference| from float32's%n%n", TRAINING, demoSteps);
        out.println("| model | metric | backend | float32 | bf16 | int8 | bf16 outputs | int8 outputs |");
        out.println("|---|---|---|---|---|---|---|---|");
        rows.forEach(out::println);
        if (!notes.isEmpty()) {
            out.println();
            notes.forEach(out::println);
        }
        out.flush();
        return 0;
    }

    /** One row per backend: the figure at float32 and at each reduced precision the backend runs (else "-"). */
    private List<String> rows(Trained t, List<String> notes) {
        List<String> rows = new ArrayList<>();
        for (String name : backends) {
            var availability = Backends.selector().availability(name);
            if (!availability.available()) {
                note(notes, "backend " + name + " is unavailable here: " + availability.reason());
                continue;
            }
            Backend backend = Backends.named(name);
            StringBuilder figures = new StringBuilder(), differences = new StringBuilder();
            Scored exact = score(t, name, Precision.FLOAT32);
            for (Precision p : REDUCED) {
                if (!backend.precisions().contains(p)) {
                    figures.append(" - |");
                    differences.append(" - |");
                    note(notes, "-: " + backend.refusal(p));
                    continue;
                }
                try {
                    Scored reduced = score(t, name, p);
                    figures.append(' ').append(t.metric().format(reduced.figure())).append(" (")
                            .append(t.metric().change(reduced.figure() - exact.figure())).append(") |");
                    differences.append(' ').append(difference(exact.outputs(), reduced.outputs())).append(" |");
                } catch (RuntimeException e) {
                    figures.append(" failed |");
                    differences.append(" - |");
                    note(notes, t.name() + " on " + name + " at " + p + " failed: " + e);
                }
            }
            select(t, name, Precision.FLOAT32);
            rows.add("| " + t.name() + " | " + t.metric().name() + " | " + name + " | " + t.metric().format(exact.figure()) + " |"
                    + figures + differences);
        }
        return rows;
    }

    private static void note(List<String> notes, String note) {
        if (!notes.contains(note)) {
            notes.add(note);
        }
    }

    private static Scored score(Trained t, String backend, Precision precision) {
        select(t, backend, precision);
        return t.score().get();
    }

    /** Every recurrent layer of {@code t}'s models on {@code backend} in {@code precision} (inference only from here on). */
    private static void select(Trained t, String backend, Precision precision) {
        for (Module model : t.models()) {
            model.eval();
            for (Module m : model.namedModules().values()) {
                if (m instanceof Recurrent r) {
                    r.backend(backend).precision(precision, t.inputs());
                }
            }
        }
    }

    /** The range of {@code values} (an embedding table, a data set's features). */
    private static Calibration range(float[] values) {
        return Calibration.of(FloatTensor.of(values, values.length));
    }

    /** The largest and the median absolute difference of {@code reduced} from {@code exact}. */
    static String difference(float[] exact, float[] reduced) {
        float[] d = new float[exact.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs(reduced[i] - exact[i]);
        }
        Arrays.sort(d);
        return String.format(Locale.ROOT, "%.1e / %.1e", d[d.length - 1], d[d.length / 2]);
    }

    private <T extends AutoCloseable> T opened(T resource) {
        opened.add(resource);
        return resource;
    }

    /** {@code command}'s options as its command line {@code args} sets them, defaults for the rest. */
    private static <T> T command(T command, String... args) {
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
        return command;
    }

    /** jrnn demo's character LSTM on Moby-Dick, held-out bits per character. */
    private Trained demo(PrintWriter log) throws IOException {
        DemoCommand demo = command(new DemoCommand(), "--steps", Long.toString(demoSteps), "--backend", TRAINING);
        DemoCommand.Split split = DemoCommand.mobyDick();
        String alphabet = CharacterModel.alphabet(split.training() + split.heldOut());
        int[] train = CharacterModel.encode(split.training(), alphabet, "the training text", "");
        int[] heldOut = CharacterModel.encode(split.heldOut(), alphabet, "the held-out text", "");
        LanguageModel lm = opened(DemoCommand.model(alphabet.length(), demo.hidden).backend(TRAINING));
        DemoCommand.train(lm, DemoCommand.optimizer(lm), train, demo.steps, demo.batch, demo.chunk, log::println);
        return new Trained("character LSTM " + demo.hidden + " (demo, " + demo.steps + " steps)", Metric.BITS, List.of(lm), () -> {
            List<float[]> scores = new ArrayList<>();
            double bits = DemoCommand.bitsPerCharacter(lm, heldOut, logits -> scores.add(logits.toArray()));
            return new Scored(bits, Sequences.concatenate(scores));
        }, range(lm.namedParameters().get("embedding.weight").values()));
    }

    /** jrnn sentiment's GRUs, left to right and bidirectional, each cross-validated over all review sentences. */
    private List<Trained> sentiment(PrintWriter log) throws IOException {
        SentimentCommand cmd = command(new SentimentCommand(), "--backend", TRAINING);
        List<SentimentCommand.Sentence> shuffled = SentimentCommand.shuffled(cmd.reviews());
        List<Trained> out = new ArrayList<>();
        for (Direction direction : Direction.values()) {
            List<SentimentCommand.Fold> folds = new ArrayList<>();
            List<Vocabulary> vocabularies = new ArrayList<>();
            List<SequenceClassifier> classifiers = new ArrayList<>();
            for (int fold = 0; fold < cmd.folds; fold++) {
                SentimentCommand.Fold f = cmd.fold(shuffled, fold);
                folds.add(f);
                vocabularies.add(SentimentCommand.vocabulary(f.train()));
                classifiers.add(opened(cmd.trainGru(vocabularies.getLast(), f.train(), direction)));
                log.printf(Locale.ROOT, "sentiment: %s GRU, fold %d of %d trained%n", direction, fold + 1, cmd.folds);
            }
            String name = (direction == Direction.BIDIRECTIONAL ? "bidirectional GRU" : "GRU") + " (sentiment, " + cmd.folds + " folds)";
            out.add(new Trained(name, Metric.ACCURACY, classifiers, () -> {
                List<float[]> logits = new ArrayList<>();
                int right = 0;
                for (int i = 0; i < folds.size(); i++) {
                    List<SentimentCommand.Sentence> test = folds.get(i).test();
                    logits.add(SentimentCommand.logits(classifiers.get(i), test, vocabularies.get(i)));
                    right += cmd.correct(logits.getLast(), test);
                }
                return new Scored(right / (double) shuffled.size(), Sequences.concatenate(logits));
            }, classifiers.stream().map(c -> range(c.namedParameters().get("embedding.weight").values())).reduce(Calibration::union).orElseThrow()));
        }
        return out;
    }

    /** jrnn digits' recurrent classifier on the held-out voices. */
    private Trained digits(PrintWriter log) throws IOException {
        DigitsCommand cmd = command(new DigitsCommand(), "--backend", TRAINING);
        DigitsCommand.Data data = cmd.data(log);
        SequenceClassifier model = opened(cmd.model(data));
        cmd.train(model, data.train(), log);
        int classes = data.classes().names().size();
        String name = (cmd.direction == Direction.BIDIRECTIONAL ? "bidirectional " : "") + cmd.cell + " " + cmd.hidden + " (digits)";
        return new Trained(name, Metric.ACCURACY, List.of(model), () -> {
            float[] logits = DigitsCommand.logits(model, data.test());
            return new Scored(DigitsCommand.accuracy(data.test(), Sequences.argmax(logits, classes), null), logits);
        }, trainingRange(data));
    }

    /** jrnn forecast's GRU of each series, every origin of the held-out tail. */
    private List<Trained> forecast(PrintWriter log) throws IOException {
        ForecastCommand cmd = command(new ForecastCommand(), "--backend", TRAINING);
        List<Trained> out = new ArrayList<>();
        for (String series : cmd.series) {
            ForecastCommand.Fitted f = opened(cmd.fit(log, cmd.builtIn(series)));
            out.add(new Trained("GRU " + f.units() + " (forecast " + series + ")", Metric.rmse(f.series().unit()), List.of(f.gru().model()), () -> {
                double[][][] forecasts = f.forecasts();
                float[] flat = new float[forecasts.length * forecasts[0][0].length];
                for (int i = 0; i < forecasts.length; i++) {
                    for (int h = 0; h < forecasts[i][0].length; h++) {
                        flat[i * forecasts[0][0].length + h] = (float) forecasts[i][0][h];
                    }
                }
                return new Scored(f.errors(forecasts).rmse(), flat);
            }, null)); // oneDNN has no int8 GRU: no calibration needed
        }
        return out;
    }

    /** The range of the digits' training frames: the calibration a user would have before seeing the test clips. */
    private static Calibration trainingRange(DigitsCommand.Data data) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (DigitsCommand.Example e : data.train()) {
            for (float[] frame : e.frames()) {
                for (float v : frame) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        return new Calibration(min, max);
    }

    /** The CPU's model name, as /proc/cpuinfo gives it. */
    private static String cpu() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU (" + e.getMessage() + ")";
        }
    }

    /** Each available backend's own description (simd's vector width, oneDNN's version and instruction set). */
    private String implementations() {
        List<String> parts = new ArrayList<>();
        for (String name : backends) {
            if (Backends.selector().availability(name).available()) {
                String implementation = Backends.named(name).implementation();
                parts.add(name + (implementation.isEmpty() ? "" : " (" + implementation + ")"));
            }
        }
        return String.join(", ", parts);
    }
}

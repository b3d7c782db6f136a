package dev.jrnn.apps;

import dev.jrnn.apps.video.Clips;
import dev.jrnn.apps.video.Clips.Clip;
import dev.jrnn.apps.video.ClipPicture;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.data.Vocabulary;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn video}: action recognition, many-to-one over frames. Rendered clips ({@link Clips}:
 * a coloured shape moves, bounces, turns, grows or shrinks beside a drifting grey distractor, in
 * pixel noise) are classified by a GRU reading one frame per step, against logistic regression on
 * the average frame (which sees what is there but not in which order) and on the whole clip
 * flattened (which sees order, position by position), and the majority class.
 */
@Command(name = "video", mixinStandardHelpOptions = true,
        description = "Video activity recognition (many-to-one over frames) on rendered clips: a GRU against logistic regression on the average frame and on the whole clip; held-out accuracy and a picture of test clips.")
final class VideoCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--train", defaultValue = "4000", description = "training clips (default ${DEFAULT-VALUE})")
    int trainClips;

    @Option(names = "--test", defaultValue = "500", description = "held-out clips, rendered from another seed (default ${DEFAULT-VALUE})")
    int testClips;

    @Option(names = "--noise", defaultValue = "0.15", description = "standard deviation of the pixel noise, pixels in [0, 1] (default ${DEFAULT-VALUE})")
    double noise;

    @Option(names = "--epochs", defaultValue = "12", description = "passes over the training clips (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--hidden", defaultValue = "64", description = "GRU units (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--out", defaultValue = "jrnn-video", description = "folder for the picture of test clips (default ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    BackendOption backend = new BackendOption();

    @Override
    public Integer call() throws IOException {
        if (trainClips < 1 || testClips < 1 || epochs < 1 || hidden < 1) {
            throw new IllegalArgumentException("--train, --test, --epochs and --hidden must be positive");
        }
        if (!(noise >= 0)) {
            throw new IllegalArgumentException("--noise must not be negative, got " + noise);
        }
        PrintWriter say = spec.commandLine().getOut();
        List<Clip> train = Clips.render(trainClips, noise, 1), test = Clips.render(testClips, noise, 2);
        say.printf(Locale.ROOT, "%d training and %d held-out clips of %d to %d frames, %dx%d RGB, noise %.2f, %d actions%n",
                trainClips, testClips, Clips.MIN_FRAMES, Clips.MAX_FRAMES, Clips.SIZE, Clips.SIZE, noise, Clips.Action.values().length);
        int classes = Clips.Action.values().length;
        int[] counts = new int[classes];
        train.forEach(c -> counts[c.action().ordinal()]++);
        int majority = 0;
        for (int c = 1; c < classes; c++) {
            majority = counts[c] > counts[majority] ? c : majority;
        }
        int finalMajority = majority;
        report(say, "majority class", test.stream().filter(c -> c.action().ordinal() == finalMajority).count(), test.size(), 0);
        long start = System.nanoTime();
        report(say, "logistic regression, average frame", logistic(train, test, VideoCommand::averageFrame, INPUTS),
                test.size(), start);
        start = System.nanoTime();
        report(say, "logistic regression, whole clip", logistic(train, test, VideoCommand::wholeClip, Clips.MAX_FRAMES * INPUTS),
                test.size(), start);
        start = System.nanoTime();
        int[] predicted;
        String backendName;
        try (SequenceClassifier gru = new SequenceClassifier(CellKind.GRU, INPUTS, hidden, 1,
                Direction.UNIDIRECTIONAL, classes, 3).backend(backend.name())) {
            train(gru, train);
            predicted = predict(gru, test);
            backendName = gru.recurrent().backendName();
        }
        long right = 0;
        for (int i = 0; i < test.size(); i++) {
            right += predicted[i] == test.get(i).action().ordinal() ? 1 : 0;
        }
        report(say, "GRU over frames (" + backendName + ")", right, test.size(), start);
        List<String> captions = caption(say, train, test);
        Files.createDirectories(out);
        Path picture = out.resolve("test-clips.png");
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 8 && i < test.size(); i++) {
            labels.add("GRU: " + Clips.Action.values()[predicted[i]].words + " | caption: " + captions.get(i)
                    + " | truth: " + test.get(i).caption());
        }
        ClipPicture.write(picture, test.subList(0, labels.size()), labels);
        say.printf("first held-out clips with the GRU's answers: %s%n", picture);
        say.flush();
        return 0;
    }

    /**
     * Captioning, encoder-decoder over frames: a GRU encoder reads the clip's frames, a GRU decoder
     * with attention writes the sentence word by word. Scored by exact match and by word accuracy
     * (1 - word edit distance / reference length) on the held-out clips, against always writing
     * the commonest training caption. Returns the greedy captions of the held-out clips.
     */
    private List<String> caption(PrintWriter say, List<Clip> train, List<Clip> test) {
        List<List<String>> words = train.stream().map(c -> List.of(c.caption().split(" "))).toList();
        Vocabulary vocabulary = Seq2SeqTraining.vocabulary(words, Integer.MAX_VALUE);
        int bos = vocabulary.requireId(Seq2SeqTraining.BOS), eos = vocabulary.requireId(Seq2SeqTraining.EOS);
        long start = System.nanoTime();
        List<String> written = new ArrayList<>();
        try (Seq2Seq model = Seq2Seq.overFeatures(CellKind.GRU, INPUTS, vocabulary.size(), 16, hidden, 1, bos, eos, 7)
                .backend(backend.name())) {
            int batch = 32;
            long steps = Trainer.steps(epochs, train.size(), batch);
            Optimizer adam = Optimizer.adam(model, 1);
            new Trainer(adam, LearningRate.warmupCosine(3e-3, steps / 20, steps), steps).seed(8).fit(train, batch, part -> part, part -> {
                Batches.Features b = batch(part);
                List<int[]> captions = part.stream().map(c -> vocabulary.ids(List.of(c.caption().split(" ")))).toList();
                Batches.Tokens target = Batches.targets(captions, eos);
                return model.trainStep(b.x(), b.lengths(), target.ids(), target.lengths(), adam, 5.0);
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            for (Clip clip : test) {
                written.add(String.join(" ", vocabulary.tokens(model.translate(batch(List.of(clip)).x(), 12, 1, false))));
            }
            String commonest = train.stream().collect(java.util.stream.Collectors.groupingBy(Clip::caption,
                    java.util.stream.Collectors.counting())).entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
            say.printf(Locale.ROOT, "captions of held-out clips (%d words, e.g. \"%s\"):%n", vocabulary.size() - 3, test.get(0).caption());
            printCaptionScores(say, "commonest training caption", java.util.Collections.nCopies(test.size(), commonest), test, 0);
            printCaptionScores(say, "GRU encoder-decoder with attention", written, test, seconds);
        }
        return written;
    }

    private static void printCaptionScores(PrintWriter say, String model, List<String> captions, List<Clip> test, double seconds) {
        int exact = 0;
        double errors = 0, words = 0;
        for (int i = 0; i < test.size(); i++) {
            List<String> truth = List.of(test.get(i).caption().split(" ")), got = List.of(captions.get(i).split(" "));
            exact += truth.equals(got) ? 1 : 0;
            errors += Seq2SeqTraining.editDistance(got, truth);
            words += truth.size();
        }
        say.printf(Locale.ROOT, "  %-40s exact %.3f, word accuracy %.3f%s%n", model, exact / (double) test.size(),
                1 - errors / words, seconds == 0 ? "" : String.format(Locale.ROOT, " (trained in %.1f s)", seconds));
        say.flush();
    }

    private static void report(PrintWriter say, String model, long right, int total, long startNanos) {
        say.printf(Locale.ROOT, "  %-40s accuracy %.3f%s%n", model, right / (double) total,
                startNanos == 0 ? "" : String.format(Locale.ROOT, " (trained in %.1f s)", (System.nanoTime() - startNanos) / 1e9));
        say.flush();
    }

    /** What every model reads of a frame: per colour channel, the mean of each row and of each column. */
    static final int INPUTS = 2 * Clips.SIZE * 3;

    /**
     * A frame's row and column profiles: where colour sits along each axis. Motion, size and shape
     * show in them (a shape's profile shifts, widens, changes form as it turns) at a twelfth of
     * the pixels, so a few thousand clips are enough to learn from.
     */
    static float[] profiles(float[] frame) {
        float[] out = new float[INPUTS];
        for (int y = 0; y < Clips.SIZE; y++) {
            for (int x = 0; x < Clips.SIZE; x++) {
                for (int c = 0; c < 3; c++) {
                    float v = frame[(y * Clips.SIZE + x) * 3 + c] / Clips.SIZE;
                    out[c * 2 * Clips.SIZE + y] += v;
                    out[c * 2 * Clips.SIZE + Clips.SIZE + x] += v;
                }
            }
        }
        return out;
    }

    /** Clips as a time-first batch {@code [longest, N, INPUTS]} of profiles, zero past each clip's length, and the lengths. */
    static Batches.Features batch(List<Clip> clips) {
        return Batches.features(clips.stream()
                .map(c -> java.util.Arrays.stream(c.frames()).map(VideoCommand::profiles).toArray(float[][]::new)).toList());
    }


    private void train(SequenceClassifier gru, List<Clip> train) {
        int batch = 32;
        long steps = Trainer.steps(epochs, train.size(), batch);
        Optimizer adam = Optimizer.adam(gru, 1);
        new Trainer(adam, LearningRate.warmupCosine(3e-3, steps / 20, steps), steps).seed(4).fit(train, batch, part -> part, part -> {
            Batches.Features b = batch(part);
            return gru.trainStep(b.x(), b.lengths(), part.stream().mapToInt(c -> c.action().ordinal()).toArray(), adam, 5.0);
        });
    }

    private static int[] predict(SequenceClassifier gru, List<Clip> test) {
        int[] predicted = new int[test.size()];
        for (int from = 0; from < test.size(); from += 100) {
            Batches.Features b = batch(test.subList(from, Math.min(test.size(), from + 100)));
            int[] part = gru.predict(b.x(), b.lengths());
            System.arraycopy(part, 0, predicted, from, part.length);
        }
        return predicted;
    }

    private static float[] averageFrame(Clip clip) {
        float[] mean = new float[INPUTS];
        for (float[] frame : clip.frames()) {
            float[] p = profiles(frame);
            for (int i = 0; i < mean.length; i++) {
                mean[i] += p[i] / clip.frames().length;
            }
        }
        return mean;
    }

    /** Every frame in order, zero after the clip's end. */
    private static float[] wholeClip(Clip clip) {
        float[] all = new float[Clips.MAX_FRAMES * INPUTS];
        for (int t = 0; t < clip.frames().length; t++) {
            System.arraycopy(profiles(clip.frames()[t]), 0, all, t * INPUTS, INPUTS);
        }
        return all;
    }

    /** Softmax regression on {@code features(clip)}: Adam, 20 epochs; returns how many test clips it gets right. */
    private static long logistic(List<Clip> train, List<Clip> test, Function<Clip, float[]> features, int size) {
        int classes = Clips.Action.values().length;
        Linear linear = new Linear(size, classes, 5);
        Optimizer adam = Optimizer.adamW(linear, 3e-3, 0.01);
        new Trainer(adam, LearningRate.constant(3e-3), Trainer.steps(20, train.size(), 64)).seed(6).fit(train, 64, part -> part, part -> {
            adam.zeroGrad();
            Losses.Loss loss = Losses.softmaxCrossEntropy(linear.forward(rows(part, features, size)),
                    part.stream().mapToInt(c -> c.action().ordinal()).toArray(), -1);
            linear.backward(loss.gradient());
            adam.step();
            return loss.value();
        });
        int[] predicted = Sequences.argmax(linear.forward(rows(test, features, size)).toArray(), classes);
        long right = 0;
        for (int n = 0; n < test.size(); n++) {
            right += predicted[n] == test.get(n).action().ordinal() ? 1 : 0;
        }
        return right;
    }

    private static FloatTensor rows(List<Clip> clips, Function<Clip, float[]> features, int size) {
        float[] data = new float[clips.size() * size];
        for (int n = 0; n < clips.size(); n++) {
            System.arraycopy(features.apply(clips.get(n)), 0, data, n * size, size);
        }
        return FloatTensor.of(data, clips.size(), size);
    }
}

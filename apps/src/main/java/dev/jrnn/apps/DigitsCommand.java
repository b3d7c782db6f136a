package dev.jrnn.apps;

import dev.jrnn.apps.charts.HeatMap;
import dev.jrnn.apps.speech.Features;
import dev.jrnn.apps.speech.SpokenDigits;
import dev.jrnn.apps.speech.SpokenDigits.Clip;
import dev.jrnn.apps.speech.Wav;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.nn.Rng;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn digits}: speech recognition of the spoken digits zero to nine (many-to-one). The
 * speech is synthesized by espeak-ng ({@link SpokenDigits}: English accents times voice variants,
 * random speeds and pitches, white noise), turned into log-mel or MFCC frames ({@link Features}),
 * and classified by a recurrent network over the frames. Some accents and some variants never occur
 * in training; accuracy is reported on every clip that has one or both of them, against a logistic
 * regression on the same frames averaged over fixed segments of the word, and drawn as a confusion
 * matrix.
 */
@Command(name = "digits", mixinStandardHelpOptions = true,
        description = "Spoken digits (speech recognition, many-to-one) on espeak-ng's synthesized voices: a recurrent classifier over mel frames against logistic regression, on accents and voice variants held out from training.")
final class DigitsCommand implements Callable<Integer> {

    /** The baseline sees the word as this many equal stretches of time, each the mean of its frames. */
    private static final int SEGMENTS = 8;
    private static final int BATCH = 32;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--accents", split = ",", defaultValue = "en-us,en-gb,en-gb-x-rp,en-gb-x-gbclan,en-gb-x-gbcwmd,en-us-nyc,en-gb-scotland,en-029",
            description = "espeak-ng English voices (espeak-ng --voices=en) (default ${DEFAULT-VALUE})")
    List<String> accents;

    @Option(names = "--variants", split = ",", defaultValue = "m1,m2,m3,m5,f1,f3,m7,f4",
            description = "voice variants (espeak-ng --voices=variant) (default ${DEFAULT-VALUE})")
    List<String> variants;

    @Option(names = "--held-out-accents", split = ",", defaultValue = "en-gb-scotland,en-029",
            description = "accents never heard in training (default ${DEFAULT-VALUE})")
    List<String> heldOutAccents;

    @Option(names = "--held-out-variants", split = ",", defaultValue = "m7,f4",
            description = "variants never heard in training (default ${DEFAULT-VALUE})")
    List<String> heldOutVariants;

    @Option(names = "--takes", defaultValue = "2", description = "clips of each digit per voice, each at its own speed and pitch (default ${DEFAULT-VALUE})")
    int takes;

    @Option(names = "--snr", defaultValue = "10", description = "white noise: signal-to-noise ratio drawn per clip between this and 20 dB more (default ${DEFAULT-VALUE})")
    double snr;

    @Option(names = "--augment", defaultValue = "2", description = "extra copies of each training clip for both models, each with fresh noise and its frequency axis stretched by 0.9-1.1 (default ${DEFAULT-VALUE})")
    int augment;

    @Option(names = "--mels", defaultValue = "40", description = "mel bands (default ${DEFAULT-VALUE})")
    int mels;

    @Option(names = "--mfcc", defaultValue = "13", description = "keep this many cepstral coefficients (DCT of the log mel energies); 0 keeps the log energies (default ${DEFAULT-VALUE})")
    int mfcc;

    @Option(names = "--cmn", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "cepstral mean normalization: subtract each clip's own mean frame, for both models (removes a voice's or channel's constant offset) (default ${DEFAULT-VALUE})")
    boolean cmn;

    @Option(names = "--deltas", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "append each frame's deltas (x[t+1] - x[t-1]) / 2, for both models (default ${DEFAULT-VALUE})")
    boolean deltas;

    @Option(names = "--layers", defaultValue = "1", description = "stacked recurrent layers (default ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--cell", defaultValue = "lstm", description = "gru or lstm (default ${DEFAULT-VALUE})")
    CellKind cell;

    @Option(names = "--direction", defaultValue = "bidirectional", description = "unidirectional or bidirectional (default ${DEFAULT-VALUE})")
    Direction direction;

    @Option(names = "--pooling", defaultValue = "max", description = "what the classifier reads: max (over time) or last (final states) (default ${DEFAULT-VALUE})")
    SequenceClassifier.Pooling pooling;

    @Option(names = "--hidden", defaultValue = "64", description = "recurrent units per direction (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--epochs", defaultValue = "10", description = "passes over the training clips (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--wav", paramLabel = "DIR", description = "your own clips instead of espeak-ng's: a folder per class (named by the folder) "
            + "of 16 kHz mono 16-bit PCM WAV files; every fifth file of each class in name order (the last of a class with fewer) is held out")
    Path wav;

    @Option(names = "--out", defaultValue = "jrnn-digits", description = "folder for the confusion matrix picture and the model (default ${DEFAULT-VALUE})")
    Path out;

    /** simd by default: auto times the backends and may pick another one (onednn) from run to run, with different rounding. */
    @Mixin
    BackendOption backend = new BackendOption();

    /** A clip's normalized frames {@code [T][F]}, its digit, and which held-out group it is in (null: training). */
    record Example(float[][] frames, int digit, String group) {
    }

    private static final List<String> GROUPS = List.of("new accent", "new variant", "both new");

    /** What the clips are: the class names (index = label) and the held-out groups reported besides "all" (none for a user's folder). */
    record Classes(List<String> names, List<String> groups) {
    }

    /**
     * The JDK's vector math (EXP, TANH in the simd backend's cells) runs through a native library
     * (SVML) once C2 compiles the caller, but lane by lane through {@code Math} before that: the two
     * differ in the last bit, and when the switch happens depends on the JIT's timing, so training
     * came out slightly different on every run. The Java implementation everywhere makes a run
     * repeatable (and costs no measurable time here). Must be set before the first vector EXP or TANH.
     */
    static final String VECTOR_MATH = "jdk.incubator.vector.VectorMathLibrary";

    /** The clips as both models see them (their frames normalized by {@code normalization}: means, scales), and their classes. */
    record Data(List<Example> train, List<Example> test, Classes classes, float[][] normalization) {
    }

    /** The clips of {@code --wav} or espeak-ng's, through the front end and normalized; what was read and how goes to {@code say}. */
    Data data(PrintWriter say) throws IOException {
        require(takes >= 1 && epochs >= 1 && hidden >= 1, "--takes, --epochs and --hidden must be positive");
        require(augment >= 0, "--augment must not be negative, got " + augment);
        require(accents.containsAll(heldOutAccents), "--held-out-accents must be among --accents, got " + heldOutAccents);
        require(variants.containsAll(heldOutVariants), "--held-out-variants must be among --variants, got " + heldOutVariants);
        require(!heldOutAccents.containsAll(accents) && !heldOutVariants.containsAll(variants),
                "at least one accent and one variant must be left for training");
        require(!heldOutAccents.isEmpty() || !heldOutVariants.isEmpty(), "hold out at least one accent or variant");
        Features features = new Features(mels, mfcc);
        List<Example> train = new ArrayList<>(), test = new ArrayList<>();
        Classes classes = wav != null ? userClips(wav, features, train, test, say) : synthesizedClips(features, train, test, say);
        return new Data(train, test, classes, normalize(train, test));
    }

    /** The recurrent classifier, untrained: the caller closes it. */
    SequenceClassifier model(Data d) {
        return new SequenceClassifier(cell, d.train().getFirst().frames()[0].length, hidden, layers, direction, d.classes().names().size(), 3)
                .dropout(0.3, 5).pooling(pooling).backend(backend.name());
    }

    @Override
    public Integer call() throws IOException {
        if (System.getProperty(VECTOR_MATH) == null) {
            System.setProperty(VECTOR_MATH, "java");
        }
        PrintWriter say = spec.commandLine().getOut();
        Data data = data(say);
        List<Example> train = data.train(), test = data.test();
        Classes classes = data.classes();
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "  %-36s %8s", "held-out accuracy", "all"));
        for (String g : classes.groups()) {
            header.append(String.format(Locale.ROOT, " %" + (g.length() + 1) + "s", g));
        }
        say.println(header.append(String.format(Locale.ROOT, " %10s", "time")));
        say.flush();

        long start = System.nanoTime();
        int count = classes.names().size();
        int[] linear = logisticRegression(train, test, count);
        report(say, "logistic regression (" + SEGMENTS + " segments)", test, linear, classes.groups(), start);
        start = System.nanoTime();
        int[] recurrent;
        String name = (direction == Direction.BIDIRECTIONAL ? "bidirectional " : "") + cell.name().replace('_', ' ');
        Path saved = out.resolve("digits.safetensors");
        try (SequenceClassifier model = model(data)) {
            train(model, train, say);
            recurrent = Sequences.argmax(logits(model, test), count);
            name += " (" + hidden + ", " + model.recurrent().backendName() + ")";
            Files.createDirectories(out);
            Checkpoint.saveModel(saved, model, null, info(classes.names(), data.normalization()));
        }
        report(say, name, test, recurrent, classes.groups(), start);

        int[][] confusion = new int[count][count];
        for (int i = 0; i < test.size(); i++) {
            confusion[test.get(i).digit()][recurrent[i]]++;
        }
        Path picture = out.resolve("confusion.png");
        double[][] share = new double[count][count];
        String[][] counts = new String[count][count];
        for (int d = 0; d < count; d++) {
            int spoken = Arrays.stream(confusion[d]).sum();
            for (int p = 0; p < count; p++) {
                share[d][p] = spoken == 0 ? 0 : confusion[d][p] / (double) spoken;
                counts[d][p] = confusion[d][p] == 0 ? "" : Integer.toString(confusion[d][p]);
            }
        }
        new HeatMap((wav != null ? wav.getFileName() : "Spoken digits") + ": confusion matrix of the " + name + " on the held-out clips",
                "recognized", classes.names(), "spoken", classes.names(), "share of the class's clips", share).texts(counts).writePng(picture, 820, 720);
        say.printf(Locale.ROOT, "confusion matrix of the %s on all held-out clips (rows spoken, columns recognized): %s%n", name, picture);
        int width = Math.max(6, classes.names().stream().mapToInt(String::length).max().orElse(0));
        for (int d = 0; d < count; d++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-" + width + "s", classes.names().get(d)));
            for (int p = 0; p < count; p++) {
                row.append(String.format(Locale.ROOT, "%4d", confusion[d][p]));
            }
            say.println(row);
        }
        say.printf(Locale.ROOT, "model (the %s, its classes and feature normalization): %s%n", name, saved);
        say.flush();
        return 0;
    }

    /** espeak-ng's clips ({@link SpokenDigits}): the accents and variants held out are the test clips. */
    private Classes synthesizedClips(Features features, List<Example> train, List<Example> test, PrintWriter say) throws IOException {
        long start = System.nanoTime();
        List<Clip> clips = SpokenDigits.clips(accents, variants, takes);
        long synthesized = SpokenDigits.missing(clips);
        List<float[]> audio = SpokenDigits.load(clips);
        double seconds = 0;
        for (int i = 0; i < clips.size(); i++) {
            Clip c = clips.get(i);
            seconds += audio.get(i).length / (double) Features.SAMPLE_RATE;
            float[] heard = SpokenDigits.noisy(audio.get(i), snr, new SplittableRandom(i));
            boolean newAccent = heldOutAccents.contains(c.accent()), newVariant = heldOutVariants.contains(c.variant());
            String group = newAccent && newVariant ? GROUPS.get(2) : newAccent ? GROUPS.get(0) : newVariant ? GROUPS.get(1) : null;
            (group == null ? train : test).add(new Example(frontEnd(features.of(heard)), c.digit(), group));
            for (int copy = 1; group == null && copy <= augment; copy++) { // new voices made from the training voices
                SplittableRandom random = new SplittableRandom(i * 1_000_003L + copy);
                train.add(new Example(frontEnd(features.of(SpokenDigits.noisy(audio.get(i), snr, random), random.nextDouble(0.9, 1.1))), c.digit(), null));
            }
        }
        say.printf(Locale.ROOT, "%d clips of synthesized speech (espeak-ng; %d accents x %d variants x %d takes x 10 digits; %d new, the rest cached), "
                        + "%.0f s of audio, %s %d per 10 ms frame, noise at %.0f-%.0f dB SNR; %.1f s%n",
                clips.size(), accents.size(), variants.size(), takes, synthesized, seconds,
                (mfcc > 0 ? "MFCC" : "log-mel") + (cmn ? " (clip mean removed)" : "") + (deltas ? " and deltas" : ""), train.getFirst().frames()[0].length,
                snr, snr + 20, (System.nanoTime() - start) / 1e9);
        say.printf(Locale.ROOT, "training: %d clips and %d augmented copies (accents %s; variants %s); held out: %d clips with accents %s and/or variants %s%n",
                train.size() / (1 + augment), train.size() / (1 + augment) * augment, without(accents, heldOutAccents), without(variants, heldOutVariants), test.size(), heldOutAccents, heldOutVariants);
        return new Classes(SpokenDigits.WORDS, GROUPS);
    }

    /**
     * The user's clips: a folder per class, each of WAV files; every fifth file of a class in name
     * order is held out (its last file when it has fewer than five). Training clips get the same
     * augmented copies as the synthesized ones; no noise is added to the clips themselves.
     */
    private Classes userClips(Path folder, Features features, List<Example> train, List<Example> test, PrintWriter say) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException(folder + ": not a folder (expected a folder per class of WAV files)");
        }
        List<Path> classFolders;
        try (Stream<Path> list = Files.list(folder)) {
            classFolders = list.filter(Files::isDirectory).sorted().toList();
        }
        if (classFolders.size() < 2) {
            throw new IOException(folder + ": " + classFolders.size() + " class folder" + (classFolders.size() == 1 ? "" : "s")
                    + " (expected a folder per class, at least two, each of WAV files)");
        }
        List<String> names = new ArrayList<>();
        long start = System.nanoTime();
        double seconds = 0;
        int heldOut = 0;
        for (Path classFolder : classFolders) {
            List<Path> files;
            try (Stream<Path> list = Files.list(classFolder)) {
                files = list.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".wav")).sorted().toList();
            }
            if (files.size() < 2) {
                throw new IOException(classFolder + ": " + files.size() + " WAV file" + (files.size() == 1 ? "" : "s")
                        + " (expected at least two per class: one to train on, one to test)");
            }
            int label = names.size();
            names.add(classFolder.getFileName().toString());
            for (int i = 0; i < files.size(); i++) {
                float[] audio = SpokenDigits.trim(Wav.read(files.get(i)));
                if (audio.length < Features.SAMPLE_RATE / 40) {
                    throw new IOException(files.get(i) + ": " + audio.length + " samples (expected at least 25 ms of sound)");
                }
                seconds += audio.length / (double) Features.SAMPLE_RATE;
                boolean held = files.size() < 5 ? i == files.size() - 1 : i % 5 == 4;
                heldOut += held ? 1 : 0;
                (held ? test : train).add(new Example(frontEnd(features.of(audio)), label, null));
                for (int copy = 1; !held && copy <= augment; copy++) {
                    SplittableRandom random = new SplittableRandom(train.size() * 1_000_003L + copy);
                    train.add(new Example(frontEnd(features.of(SpokenDigits.noisy(audio, snr, random), random.nextDouble(0.9, 1.1))), label, null));
                }
            }
        }
        int clips = train.size() / (1 + augment) + heldOut;
        say.printf(Locale.ROOT, "%d clips of %d classes (%s) from %s, %.0f s of audio, %s %d per 10 ms frame; %.1f s%n", clips, names.size(),
                String.join(", ", names), folder, seconds, (mfcc > 0 ? "MFCC" : "log-mel") + (cmn ? " (clip mean removed)" : "") + (deltas ? " and deltas" : ""),
                train.getFirst().frames()[0].length, (System.nanoTime() - start) / 1e9);
        say.printf(Locale.ROOT, "training: %d clips and %d augmented copies (noise at %.0f-%.0f dB SNR, frequency stretched 0.9-1.1); "
                + "held out: %d clips, every fifth of each class in name order (the last of a class with fewer)%n",
                clips - heldOut, (clips - heldOut) * augment, snr, snr + 20, heldOut);
        return new Classes(List.copyOf(names), List.of());
    }

    /** A clip's frames as both models see them: with its own mean frame removed ({@code --cmn}) and deltas appended ({@code --deltas}). */
    float[][] frontEnd(float[][] frames) {
        int size = frames[0].length;
        if (cmn) {
            double[] mean = new double[size];
            for (float[] f : frames) {
                for (int j = 0; j < size; j++) {
                    mean[j] += f[j] / (double) frames.length;
                }
            }
            for (float[] f : frames) {
                for (int j = 0; j < size; j++) {
                    f[j] -= (float) mean[j];
                }
            }
        }
        if (!deltas) {
            return frames;
        }
        float[][] out = new float[frames.length][2 * size];
        for (int t = 0; t < frames.length; t++) {
            float[] before = frames[Math.max(0, t - 1)], after = frames[Math.min(frames.length - 1, t + 1)];
            System.arraycopy(frames[t], 0, out[t], 0, size);
            for (int j = 0; j < size; j++) {
                out[t][size + j] = (after[j] - before[j]) / 2;
            }
        }
        return out;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    private static List<String> without(List<String> all, List<String> held) {
        return all.stream().filter(s -> !held.contains(s)).toList();
    }

    private static void report(PrintWriter say, String model, List<Example> test, int[] predicted, List<String> groups, long start) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-36s %8.3f", model, accuracy(test, predicted, null)));
        for (String g : groups) {
            double a = accuracy(test, predicted, g);
            int width = (g.length() + 1);
            line.append(Double.isNaN(a) ? String.format(Locale.ROOT, " %" + width + "s", "-") : String.format(Locale.ROOT, " %" + width + ".3f", a));
        }
        line.append(String.format(Locale.ROOT, " %9.1f s", (System.nanoTime() - start) / 1e9));
        say.println(line);
        say.flush();
    }

    /** The share of {@code test} clips (of {@code group}, or all when null) predicted right; NaN when there are none. */
    static double accuracy(List<Example> test, int[] predicted, String group) {
        int right = 0, total = 0;
        for (int i = 0; i < test.size(); i++) {
            if (group == null || group.equals(test.get(i).group())) {
                total++;
                right += predicted[i] == test.get(i).digit() ? 1 : 0;
            }
        }
        return total == 0 ? Double.NaN : right / (double) total;
    }

    /**
     * Scales every feature to zero mean and unit variance over the training frames (the test frames
     * by the same numbers); returns the means and the scales.
     */
    private static float[][] normalize(List<Example> train, List<Example> test) {
        int size = train.get(0).frames()[0].length;
        double[] sum = new double[size], squares = new double[size];
        long frames = 0;
        for (Example e : train) {
            for (float[] f : e.frames()) {
                for (int j = 0; j < size; j++) {
                    sum[j] += f[j];
                    squares[j] += (double) f[j] * f[j];
                }
                frames++;
            }
        }
        float[] mean = new float[size], scale = new float[size];
        for (int j = 0; j < size; j++) {
            mean[j] = (float) (sum[j] / frames);
            scale[j] = (float) (1 / Math.sqrt(Math.max(1e-8, squares[j] / frames - mean[j] * (double) mean[j])));
        }
        for (List<Example> set : List.of(train, test)) {
            for (Example e : set) {
                for (float[] f : e.frames()) {
                    for (int j = 0; j < size; j++) {
                        f[j] = (f[j] - mean[j]) * scale[j];
                    }
                }
            }
        }
        return new float[][] {mean, scale};
    }

    /** What a user of the saved model needs besides its weights: the class names and the front end's settings and normalization. */
    private Map<String, String> info(List<String> names, float[][] normalization) {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("jrnn.command", "digits");
        for (int c = 0; c < names.size(); c++) {
            info.put("class." + c, names.get(c));
        }
        info.put("features.sample_rate", Integer.toString(Features.SAMPLE_RATE));
        info.put("features.mels", Integer.toString(mels));
        info.put("features.mfcc", Integer.toString(mfcc));
        info.put("features.cmn", Boolean.toString(cmn));
        info.put("features.deltas", Boolean.toString(deltas));
        info.put("features.mean", join(normalization[0]));
        info.put("features.scale", join(normalization[1]));
        return info;
    }

    private static String join(float[] v) {
        StringBuilder s = new StringBuilder();
        for (float x : v) {
            s.append(s.isEmpty() ? "" : ",").append(x);
        }
        return s.toString();
    }

    /** Minibatches of shuffled clips with AdamW and a cosine-decayed rate; prints the mean loss of the first and last epochs. */
    void train(SequenceClassifier model, List<Example> train, PrintWriter say) {
        double rate = 3e-3;
        Optimizer adam = Optimizer.adamW(model, rate, 0.01);
        long steps = Trainer.steps(epochs, train.size(), BATCH);
        Trainer trainer = new Trainer(adam, LearningRate.warmupCosine(rate, steps / 20, steps), steps).seed(2);
        List<double[]> perEpoch = trainer.fit(train, BATCH, DigitsCommand::batch, b -> {
            mask(b, trainer.random());
            return model.trainStep(b.x(), b.lengths(), b.labels(), adam, 5.0);
        }).epochs();
        say.printf(Locale.ROOT, "  (recurrent model's training loss: %.3f in the first epoch, %.3f in the last)%n",
                perEpoch.get(0)[1], perEpoch.get(perEpoch.size() - 1)[1]);
    }

    /**
     * SpecAugment (Park et al., 2019) while training the recurrent model: in each clip, a random
     * band of up to a fifth of the features and a random stretch of up to 10 frames read as the
     * training mean (0 after normalization), so no single band or moment decides the digit.
     */
    private static void mask(Batch b, Rng random) {
        FloatTensor x = b.x();
        int size = x.dim(2), bands = Math.max(1, size / 5);
        for (int n = 0; n < b.lengths().length; n++) {
            FloatTensor clip = x.slice(1, n, n + 1);
            int width = 1 + random.nextInt(bands), from = random.nextInt(size - width + 1);
            clip.slice(2, from, from + width).fill(0);
            int span = Math.min(1 + random.nextInt(10), b.lengths()[n] - 1), start = random.nextInt(b.lengths()[n] - span);
            if (span > 0) {
                clip.slice(0, start, start + span).fill(0);
            }
        }
    }

    /** The class scores {@code [test.size() * classes]} of {@code model} for {@code test}, in batches of 128. */
    static float[] logits(SequenceClassifier model, List<Example> test) {
        List<float[]> parts = new ArrayList<>();
        for (int from = 0; from < test.size(); from += 128) {
            Batch b = batch(test.subList(from, Math.min(test.size(), from + 128)));
            parts.add(model.logits(b.x(), b.lengths()).toArray());
        }
        return Sequences.concatenate(parts);
    }

    record Batch(FloatTensor x, int[] lengths, int[] labels) {
    }

    /** Time-first frames {@code [T, N, F]}, zero past each clip's length. */
    private static Batch batch(List<Example> examples) {
        Batches.Features p = Batches.features(examples.stream().map(Example::frames).toList());
        return new Batch(p.x(), p.lengths(), examples.stream().mapToInt(Example::digit).toArray());
    }

    /** The baseline's input: the mean frame of each of {@link #SEGMENTS} equal stretches of the clip, side by side. */
    static float[] segmentMeans(float[][] frames) {
        int size = frames[0].length;
        float[] out = new float[SEGMENTS * size];
        for (int s = 0; s < SEGMENTS; s++) {
            // segment s covers frames [s T / S, (s + 1) T / S), at least one frame even when T < S
            int from = s * frames.length / SEGMENTS, to = Math.max(from + 1, (s + 1) * frames.length / SEGMENTS);
            for (int t = from; t < to; t++) {
                for (int j = 0; j < size; j++) {
                    out[s * size + j] += frames[t][j] / (to - from);
                }
            }
        }
        return out;
    }

    /** Multinomial logistic regression (a linear layer, softmax cross-entropy, AdamW) on {@link #segmentMeans}; predictions for {@code test}. */
    private int[] logisticRegression(List<Example> train, List<Example> test, int classes) {
        int size = SEGMENTS * train.get(0).frames()[0].length;
        FloatTensor x = matrix(train, size), xTest = matrix(test, size);
        int[] labels = train.stream().mapToInt(Example::digit).toArray();
        Linear linear = new Linear(size, classes, 4);
        Optimizer adam = Optimizer.adamW(linear, 0.01, 0.01);
        for (int step = 0; step < 500; step++) { // full batch: a convex problem, small enough
            adam.zeroGrad();
            Losses.Loss loss = Losses.softmaxCrossEntropy(linear.forward(x), labels, -1);
            linear.backward(loss.gradient());
            adam.step();
        }
        return Sequences.argmax(linear.forward(xTest).toArray(), classes);
    }

    private static FloatTensor matrix(List<Example> examples, int size) {
        float[] x = new float[examples.size() * size];
        for (int n = 0; n < examples.size(); n++) {
            System.arraycopy(segmentMeans(examples.get(n).frames()), 0, x, n * size, size);
        }
        return FloatTensor.of(x, examples.size(), size);
    }
}

package dev.jrnn.apps;

import dev.jrnn.apps.data.Corpora;
import dev.jrnn.apps.data.UserText;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.data.Vocabulary;
import dev.jrnn.models.nn.Rng;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn punctuate}: many-to-many tagging. Restores capitalization and punctuation in
 * lower-cased text without punctuation: a word-level GRU tags every word with one of eight labels,
 * its case ({@link #CASES}) times the mark that follows it ({@link #MARKS}). Trained on Moby-Dick's
 * chapters 1-125 (the language model's training chapters), tested on chapters 126 to the end and,
 * out of domain, on the Debian fortunes. The bidirectional GRU is scored against the same model run
 * left to right only and against the majority label, per class, by the same code in the same run.
 * With {@code --text FILE...} it trains on the user's own text and tests on its last
 * {@code --held-out} share. The bidirectional GRU is saved as a checkpoint with its vocabulary and labels.
 */
@Command(name = "punctuate", mixinStandardHelpOptions = true,
        description = "Restores capitalization and punctuation (many-to-many tagging): a bidirectional GRU against the same GRU left to right and the majority label, trained on Moby-Dick 1-125, tested on 126+ and on the fortunes.")
final class PunctuateCommand implements Callable<Integer> {

    /** The case of a word: a capital first letter or not ("I", "Ahab" and "CHAPTER" are all Capitalized). */
    static final String[] CASES = {"lower", "Capitalized"};
    /**
     * The mark after a word, folded to four: a pause inside a sentence ({@code , ; : —}), the end of
     * a sentence ({@code . !}), a question. Quotes, brackets and hyphens are dropped, not restored.
     */
    static final String[] MARKS = {"none", "comma", "period", "question"};
    private static final String[] WRITTEN = {"", ",", ".", "?"};
    /** A word: letters and digits, with apostrophes only inside ("people’s", "don't"). */
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:['’][\\p{L}\\p{N}]+)*");
    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\\n[ \\t]*\\n");

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--epochs", defaultValue = "4", description = "passes over the training chapters (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--hidden", defaultValue = "96", description = "GRU units per direction (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--layers", defaultValue = "1", description = "stacked GRU layers (default ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--embedding", defaultValue = "64", description = "word vector size (default ${DEFAULT-VALUE})")
    int embedding;

    @Option(names = "--vocabulary", defaultValue = "8000", description = "most frequent training words with their own vector; the rest share one (default ${DEFAULT-VALUE})")
    int vocabulary;

    @Option(names = "--window", defaultValue = "50", description = "at most this many words per sequence; paragraphs are cut into windows (default ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--batch", defaultValue = "32", description = "windows per training step (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--train-words", defaultValue = "0", description = "train on the first N words of chapters 1-125 only (default 0: all)")
    int trainWords;

    @Option(names = "--test-words", defaultValue = "0", description = "test on the first N words of each test set only (default 0: all; fortunes in a fixed shuffled order)")
    int testWords;

    @Option(names = "--text", paramLabel = "FILE", arity = "1..*", description = "your own UTF-8 text instead of Moby-Dick and the fortunes: one or more files, read in order as one text")
    List<Path> texts;

    @Option(names = "--held-out", defaultValue = "0.1", description = "with --text: the share at the end of the text held out for testing (default ${DEFAULT-VALUE})")
    double heldOutShare;

    @Option(names = "--out", defaultValue = "jrnn-punctuate", description = "folder for the bidirectional GRU's checkpoint (default ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    BackendOption backend = new BackendOption();

    /** A user's text must leave this many words to train on, and to test on. */
    static final int MIN_TRAINING_WORDS = 200, MIN_HELD_OUT_WORDS = 20;

    /** One word as the model reads it (lower-cased, no marks) and the label it should restore. */
    record Word(String lower, int label) {
    }

    @Override
    public Integer call() throws IOException {
        check(epochs >= 1, "--epochs must be at least 1");
        check(hidden >= 1 && embedding >= 1 && layers >= 1, "--hidden, --layers and --embedding must be at least 1");
        check(vocabulary >= 2, "--vocabulary must be at least 2 (one word and the unknown word)");
        check(window >= 2, "--window must be at least 2 words");
        check(batch >= 1, "--batch must be at least 1");
        check(trainWords >= 0 && testWords >= 0, "--train-words and --test-words must not be negative");
        check(heldOutShare > 0 && heldOutShare < 1, "--held-out must be between 0 and 1, got " + heldOutShare);
        PrintWriter say = spec.commandLine().getOut();

        List<List<Word>> train, heldOut, fortunes = null;
        String heldOutTitle;
        Vocabulary ids;
        if (texts == null) {
            String book = Files.readString(Corpora.MOBY_DICK.fetch(), StandardCharsets.UTF_8);
            int split = book.lastIndexOf("CHAPTER 126.");
            train = first(paragraphs(book.substring(0, split)), trainWords);
            heldOut = first(paragraphs(book.substring(split)), testWords);
            fortunes = new ArrayList<>();
            for (String record : fortunes(Corpora.FORTUNES.fetch())) {
                fortunes.addAll(paragraphs(record));
            }
            Collections.shuffle(fortunes, new Random(3)); // so that a slice is not just the first files' topics
            fortunes = first(fortunes, testWords);
            ids = vocabulary(train, vocabulary);
            say.printf(Locale.ROOT, "%,d words to train (Moby-Dick 1-125), %,d held out (126 to the end), %,d out of domain "
                            + "(fortunes); %,d words with their own vector%n",
                    count(train), count(heldOut), count(fortunes), ids.size() - 1);
            heldOutTitle = "held out: Moby-Dick, chapters 126 to the end";
        } else {
            String text = UserText.read(texts);
            int cut = (int) Math.round(text.length() * (1 - heldOutShare));
            while (cut < text.length() && !Character.isWhitespace(text.charAt(cut))) { // not inside a word
                cut++;
            }
            train = first(paragraphs(text.substring(0, cut)), trainWords);
            heldOut = first(paragraphs(text.substring(cut)), testWords);
            String files = texts.size() == 1 ? texts.get(0).toString() : texts.size() + " files";
            if (count(train) < MIN_TRAINING_WORDS || count(heldOut) < MIN_HELD_OUT_WORDS) {
                throw new IOException(files + ": the held-out share " + heldOutShare + " leaves " + count(train) + " words to train on and "
                        + count(heldOut) + " to test on, expected at least " + MIN_TRAINING_WORDS + " and " + MIN_HELD_OUT_WORDS
                        + " (give more text or change --held-out)");
            }
            ids = vocabulary(train, vocabulary);
            say.printf(Locale.ROOT, "%,d words to train (the first %d%% of %s), %,d held out; %,d words with their own vector%n",
                    count(train), Math.round(100 * (1 - heldOutShare)), files, count(heldOut), ids.size() - 1);
            heldOutTitle = String.format(Locale.ROOT, "held out: the last %.0f%% of %s", 100 * heldOutShare, files);
        }
        int majority = majority(train);
        say.println("majority label: " + name(majority));
        say.flush();

        Map<String, Tagger> models = new LinkedHashMap<>();
        models.put("majority", windows -> windows.stream().map(w -> w.stream().map(word -> majority).toList()).toList());
        List<SequenceTagger> trained = new ArrayList<>();
        try {
            for (Direction direction : List.of(Direction.UNIDIRECTIONAL, Direction.BIDIRECTIONAL)) {
                SequenceTagger model = new SequenceTagger(ids.size(), embedding, CellKind.GRU, hidden, layers, direction,
                        CASES.length * MARKS.length, 5).backend(backend.name());
                trained.add(model);
                String name = direction == Direction.BIDIRECTIONAL ? "bidirectional" : "left to right";
                train(say, name, model, train, ids);
                models.put(name, windows -> tag(model, windows, ids));
            }
            report(say, heldOutTitle, heldOut, models);
            if (fortunes != null) {
                report(say, "out of domain: the fortunes", fortunes, models);
            }
            Files.createDirectories(out);
            Path checkpoint = out.resolve("punctuate-gru.safetensors");
            List<String> labels = new ArrayList<>();
            for (int label = 0; label < CASES.length * MARKS.length; label++) {
                labels.add(name(label));
            }
            Checkpoint.saveModel(checkpoint, trained.getLast(), null, Map.of("vocabulary", String.join("\n", ids.tokens()),
                    "labels", String.join("\n", labels)));
            say.println("bidirectional GRU, with its vocabulary and labels: " + checkpoint);
        } finally {
            trained.forEach(SequenceTagger::close);
        }
        return 0;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Labels for each word of each window. */
    interface Tagger {
        List<List<Integer>> tag(List<List<Word>> windows);
    }

    // ---- text to labelled words ----

    /**
     * The paragraphs (split at blank lines) of {@code text} as labelled words. A word's mark comes
     * from the characters between it and the next word, across a paragraph break too.
     */
    static List<List<Word>> paragraphs(String text) {
        List<List<Word>> paragraphs = new ArrayList<>();
        List<Word> current = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        if (!m.find()) {
            return paragraphs;
        }
        while (true) {
            String word = m.group();
            int end = m.end();
            boolean more = m.find();
            String between = text.substring(end, more ? m.start() : text.length());
            int casing = Character.isUpperCase(word.codePointAt(0)) ? 1 : 0;
            current.add(new Word(word.toLowerCase(Locale.ROOT), casing * MARKS.length + mark(between)));
            if (!more || PARAGRAPH_BREAK.matcher(between).find()) {
                paragraphs.add(current);
                current = new ArrayList<>();
            }
            if (!more) {
                return paragraphs;
            }
        }
    }

    /** The strongest mark in the characters between two words: question, then sentence end, then pause. */
    static int mark(String between) {
        if (between.indexOf('?') >= 0) {
            return 3;
        }
        if (between.indexOf('.') >= 0 || between.indexOf('!') >= 0) {
            return 2;
        }
        boolean pause = between.contains(",") || between.contains(";") || between.contains(":")
                || between.contains("—") || between.contains("--");
        return pause ? 1 : 0;
    }

    /** The fortune records of every text file in the folder, overstrikes removed. */
    static List<String> fortunes(Path folder) throws IOException {
        List<Path> files;
        try (Stream<Path> all = Files.list(folder)) {
            files = all.filter(p -> Files.isRegularFile(p) && !Files.isSymbolicLink(p))
                    .filter(p -> !p.getFileName().toString().contains(".")) // not the .dat indexes nor the .u8 links
                    .filter(p -> !p.getFileName().toString().equals("ascii-art")) // pictures, not text
                    .sorted().toList();
        }
        List<String> records = new ArrayList<>();
        for (Path file : files) {
            // a few files are not UTF-8: replace what does not decode rather than fail
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            for (String record : text.replaceAll(".\b", "").split("(?m)^%\\R")) {
                if (!record.isBlank()) {
                    records.add(record);
                }
            }
        }
        return records;
    }

    /** The first paragraphs holding {@code words} words in all (0: all of them); the last one is cut to fit. */
    static List<List<Word>> first(List<List<Word>> paragraphs, int words) {
        if (words == 0) {
            return paragraphs;
        }
        List<List<Word>> out = new ArrayList<>();
        int left = words;
        for (List<Word> p : paragraphs) {
            if (left <= 0) {
                break;
            }
            out.add(p.subList(0, Math.min(p.size(), left)));
            left -= p.size();
        }
        return out;
    }

    private static int count(List<List<Word>> paragraphs) {
        return paragraphs.stream().mapToInt(List::size).sum();
    }

    static String name(int label) {
        return CASES[label / MARKS.length] + "+" + MARKS[label % MARKS.length];
    }

    private static int majority(List<List<Word>> paragraphs) {
        int[] counts = new int[CASES.length * MARKS.length];
        paragraphs.forEach(p -> p.forEach(w -> counts[w.label()]++));
        int best = 0;
        for (int c = 1; c < counts.length; c++) {
            best = counts[c] > counts[best] ? c : best;
        }
        return best;
    }

    /** Id 0 is the unknown word; then the training words by falling frequency (the first seen first among equals), at most {@code size - 1}. */
    static Vocabulary vocabulary(List<List<Word>> paragraphs, int size) {
        return Vocabulary.byFrequency(paragraphs.stream().map(p -> p.stream().map(Word::lower).toList()).toList(), size - 1, "<unknown>");
    }

    // ---- training and tagging ----

    /**
     * Paragraphs cut into windows of at most {@code window} words. With a random source the first
     * window of each paragraph gets a random length, so the cuts move from epoch to epoch.
     */
    static List<List<Word>> windows(List<List<Word>> paragraphs, int window, Rng random) {
        List<List<Word>> out = new ArrayList<>();
        for (List<Word> p : paragraphs) {
            int from = 0, size = random == null ? window : window / 2 + random.nextInt(window - window / 2 + 1);
            while (from < p.size()) {
                out.add(p.subList(from, Math.min(p.size(), from + size)));
                from += size;
                size = window;
            }
        }
        return out;
    }

    private void train(PrintWriter say, String name, SequenceTagger model, List<List<Word>> paragraphs, Vocabulary ids) {
        float[] vectors = model.embedding().weight().values(); // small word vectors: the GRU starts unsaturated
        for (int i = 0; i < vectors.length; i++) {
            vectors[i] *= 0.1f;
        }
        model.embedding().weight().changed();
        Rng random = new Rng(7); // the same batches for both models
        List<List<List<Word>>> batches = new ArrayList<>();
        List<Integer> epochEnds = new ArrayList<>();
        for (int epoch = 0; epoch < epochs; epoch++) {
            batches.addAll(Batches.bySimilarLength(windows(paragraphs, window, random), List::size, batch, random));
            epochEnds.add(batches.size());
        }
        Optimizer adam = Optimizer.adamW(model, 3e-3, 0.01);
        long started = System.nanoTime();
        Trainer.History history = new Trainer(adam, LearningRate.warmupCosine(3e-3, 50, batches.size()), batches.size())
                .progress(line -> {
                    say.println("  " + name + ": " + line);
                    say.flush();
                }, "words", Math.round((double) count(paragraphs) * epochs / batches.size())) // words per step, on average
                .run(step -> {
                    List<List<Word>> windows = batches.get((int) step);
                    int[][] tokens = tokens(windows, ids), labels = new int[tokens.length][windows.size()];
                    for (int n = 0; n < windows.size(); n++) {
                        for (int t = 0; t < windows.get(n).size(); t++) {
                            labels[t][n] = windows.get(n).get(t).label();
                        }
                    }
                    return model.trainStep(tokens, lengths(windows), labels, adam, 5.0);
                });
        // mean loss per word of each epoch: the test reads the first and the last
        int from = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            double sum = 0;
            long words = 0;
            for (int b = from; b < epochEnds.get(epoch); b++) {
                int counted = count(batches.get(b));
                sum += history.training().get(b)[1] * counted;
                words += counted;
            }
            from = epochEnds.get(epoch);
            say.printf(Locale.ROOT, "%s: epoch %d  mean training loss %.4f%n", name, epoch + 1, sum / words);
        }
        say.printf(Locale.ROOT, "%s: trained in %.1f s (GRU on %s)%n", name, (System.nanoTime() - started) / 1e9, model.backendName());
        say.flush();
    }

    /** Time-first token ids of a batch, unknown past each window's end. */
    private static int[][] tokens(List<List<Word>> batch, Vocabulary ids) {
        return Batches.tokens(batch.stream().map(w -> ids.ids(w.stream().map(Word::lower).toList())).toList(), 0).ids();
    }

    private static int[] lengths(List<List<Word>> batch) {
        return batch.stream().mapToInt(List::size).toArray();
    }

    /** The model's labels for each of {@code windows}, predicted in batches of windows of similar length. */
    private static List<List<Integer>> tag(SequenceTagger model, List<List<Word>> windows, Vocabulary ids) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < windows.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> windows.get(i).size()));
        List<List<Integer>> out = new ArrayList<>(Collections.nCopies(windows.size(), null));
        for (int from = 0; from < order.size(); from += 128) {
            List<Integer> part = order.subList(from, Math.min(order.size(), from + 128));
            List<List<Word>> batch = part.stream().map(windows::get).toList();
            int[][] got = model.predict(tokens(batch, ids), lengths(batch));
            for (int n = 0; n < batch.size(); n++) {
                List<Integer> labels = new ArrayList<>();
                for (int t = 0; t < batch.get(n).size(); t++) {
                    labels.add(got[t][n]);
                }
                out.set(part.get(n), labels);
            }
        }
        return out;
    }

    // ---- scoring ----

    /** Confusion counts of case and of mark, {@code [wanted][predicted]}, and the per-class scores from them. */
    static final class Scores {
        final long[][] cases = new long[CASES.length][CASES.length], marks = new long[MARKS.length][MARKS.length];

        void add(int wanted, int predicted) {
            cases[wanted / MARKS.length][predicted / MARKS.length]++;
            marks[wanted % MARKS.length][predicted % MARKS.length]++;
        }

        /** Precision, recall and F1 of class {@code c} (0 where undefined: nothing predicted or nothing there). */
        static double[] prf(long[][] confusion, int c) {
            long right = confusion[c][c], predicted = 0, wanted = 0;
            for (int k = 0; k < confusion.length; k++) {
                predicted += confusion[k][c];
                wanted += confusion[c][k];
            }
            double p = predicted == 0 ? 0 : right / (double) predicted, r = wanted == 0 ? 0 : right / (double) wanted;
            return new double[] {p, r, p + r == 0 ? 0 : 2 * p * r / (p + r)};
        }

        static double macroF1(long[][] confusion) {
            double sum = 0;
            for (int c = 0; c < confusion.length; c++) {
                sum += prf(confusion, c)[2];
            }
            return sum / confusion.length;
        }
    }

    private void report(PrintWriter say, String title, List<List<Word>> paragraphs, Map<String, Tagger> models) {
        List<List<Word>> windows = windows(paragraphs, window, null);
        Map<String, Scores> scores = new LinkedHashMap<>();
        for (Map.Entry<String, Tagger> model : models.entrySet()) {
            Scores s = new Scores();
            List<List<Integer>> got = model.getValue().tag(windows);
            for (int i = 0; i < windows.size(); i++) {
                for (int t = 0; t < windows.get(i).size(); t++) {
                    s.add(windows.get(i).get(t).label(), got.get(i).get(t));
                }
            }
            scores.put(model.getKey(), s);
        }
        say.printf(Locale.ROOT, "%n%s (%,d words, windows of at most %d):%n", title, count(paragraphs), window);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-13s", "class"));
        scores.keySet().forEach(m -> head.append(String.format(Locale.ROOT, " | %-17s", m)));
        say.println(head);
        StringBuilder sub = new StringBuilder(String.format(Locale.ROOT, "  %-13s", ""));
        scores.keySet().forEach(m -> sub.append(" | P     R     F1   "));
        say.println(sub);
        for (int c = 0; c < CASES.length; c++) {
            row(say, CASES[c], scores, s -> s.cases, c);
        }
        for (int c = 0; c < MARKS.length; c++) {
            row(say, MARKS[c], scores, s -> s.marks, c);
        }
        StringBuilder macroCase = new StringBuilder(String.format(Locale.ROOT, "  %-13s", "macro (case)"));
        StringBuilder macroMarks = new StringBuilder(String.format(Locale.ROOT, "  %-13s", "macro (marks)"));
        for (Scores s : scores.values()) {
            macroCase.append(String.format(Locale.ROOT, " | %17.3f", Scores.macroF1(s.cases)));
            macroMarks.append(String.format(Locale.ROOT, " | %17.3f", Scores.macroF1(s.marks)));
        }
        say.println(macroCase);
        say.println(macroMarks);

        // a restored paragraph: the first of at least 30 words (or the longest)
        List<Word> example = paragraphs.stream().filter(p -> p.size() >= 30).findFirst()
                .orElse(paragraphs.stream().max(Comparator.comparingInt(List::size)).orElse(List.of()));
        List<Integer> restored = new ArrayList<>();
        models.get("bidirectional").tag(windows(List.of(example), window, null)).forEach(restored::addAll);
        say.println("  input:    " + String.join(" ", example.stream().map(Word::lower).toList()));
        say.println("  restored: " + write(example, restored));
        say.println("  original: " + write(example, example.stream().map(Word::label).toList()));
        say.flush();
    }

    private static void row(PrintWriter say, String label, Map<String, Scores> scores,
                            java.util.function.Function<Scores, long[][]> confusion, int c) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-13s", label));
        for (Scores s : scores.values()) {
            double[] prf = Scores.prf(confusion.apply(s), c);
            line.append(String.format(Locale.ROOT, " | %.3f %.3f %.3f", prf[0], prf[1], prf[2]));
        }
        say.println(line);
    }

    /** The words written with the given labels' case and marks. */
    static String write(List<Word> words, List<Integer> labels) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i).lower();
            int label = labels.get(i);
            if (label / MARKS.length == 1) {
                w = w.substring(0, w.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT) + w.substring(w.offsetByCodePoints(0, 1));
            }
            out.append(i == 0 ? "" : " ").append(w).append(WRITTEN[label % MARKS.length]);
        }
        return out.toString();
    }
}

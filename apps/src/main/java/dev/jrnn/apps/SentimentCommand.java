package dev.jrnn.apps;

import dev.jrnn.apps.data.Corpora;
import dev.jrnn.apps.data.LabelledTexts;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.data.Vocabulary;
import dev.jrnn.models.io.Json;
import dev.jrnn.models.nn.Linear;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn sentiment}: many-to-one classification of review sentences (Amazon, IMDB, Yelp;
 * 1,000 each). A word-level GRU, left-to-right and bidirectional, against a bag-of-words logistic
 * regression and the majority class, all trained and tested on the same split in the same run:
 * in-domain (80/20 of all three) or across domains (train on two, test on the third). With
 * {@code --data FILE} the same k-fold comparison on the user's CSV or TSV of texts and labels,
 * any number of classes. The bidirectional GRU of the last fold is saved as a checkpoint
 * ({@code jrnn run}, {@code jrnn export}) with its vocabulary and labels.
 */
@Command(name = "sentiment", mixinStandardHelpOptions = true,
        description = "Sentence sentiment (many-to-one): GRU, bidirectional GRU and bag-of-words baselines on held-out sentences; on your own labelled texts with --data.")
final class SentimentCommand implements Callable<Integer> {

    /**
     * Regularization and schedule of the GRUs, chosen by 5-fold cross-validation (README): dropout
     * on the head's features, words replaced by the unknown word while training, and a cosine decay
     * of AdamW's rate, which together took them from 1-2 points below the bag-of-words baseline to level with it.
     */
    private static final double DROPOUT = 0.5, WORD_DROPOUT = 0.25, RATE = 4e-3;
    private static final Pattern WORD = Pattern.compile("[a-z0-9']+|[!?]");
    /** A user's texts may be in any script: words are runs of letters and digits. */
    private static final Pattern ANY_WORD = Pattern.compile("[\\p{L}\\p{N}']+|[!?]");

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--epochs", defaultValue = "6", description = "passes over the training sentences (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--folds", defaultValue = "5", description = "in domain: k-fold cross-validation, every sentence tested once (default ${DEFAULT-VALUE})")
    int folds;

    @Option(names = "--across", description = "train on two domains, test on the third, for each third")
    boolean across;

    @Option(names = "--domains", split = ",", defaultValue = "amazon,imdb,yelp", description = "the domains to use (default all)")
    List<String> domains;

    @Option(names = "--data", paramLabel = "FILE", description = "your own labelled texts instead of the reviews: a CSV, or a TSV (.tsv, .txt), of a text and a label a row, any number of classes")
    Path data;

    @Option(names = "--text-column", paramLabel = "NAME", description = "with --data: the texts' column, by name or number (default: one named text, sentence, review, ... or else the first)")
    String textColumn;

    @Option(names = "--label-column", paramLabel = "NAME", description = "with --data: the labels' column, by name or number (default: one named label, class, sentiment, ... or else the last)")
    String labelColumn;

    @Option(names = "--no-header", description = "with --data: the first row is data, not column names (columns are numbered from 1)")
    boolean noHeader;

    @Option(names = "--out", defaultValue = "jrnn-sentiment", description = "folder for the bidirectional GRU's checkpoint (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--pooling", defaultValue = "last", description = "what the classifier reads: max (over time) or last (final states) (default ${DEFAULT-VALUE})")
    SequenceClassifier.Pooling pooling;

    @Mixin
    BackendOption backend = new BackendOption();

    record Sentence(List<String> words, int label, String domain) {
    }

    /** The label names, by id: 0 negative and 1 positive for the reviews, a user's own sorted. */
    private List<String> labels = List.of("negative", "positive");
    private Pattern word = WORD;

    @Override
    public Integer call() throws IOException {
        PrintWriter say = spec.commandLine().getOut();
        if (folds < 2) {
            throw new IllegalArgumentException("--folds must be at least 2, got " + folds);
        }
        List<Sentence> all = new ArrayList<>();
        Path checkpoint = out.resolve("sentiment-gru.safetensors");
        if (data != null) {
            if (across) {
                throw new IllegalArgumentException("--across is for the three review domains; --data is cross-validated (--folds)");
            }
            all = loadOwn();
            if (all.size() < folds) {
                throw new IOException(data + ": " + all.size() + " examples, fewer than the " + folds
                        + " folds of cross-validation (expected at least --folds examples)");
            }
        } else {
            all = reviews();
        }
        Files.createDirectories(out);
        if (across) {
            for (String held : domains) {
                List<Sentence> train = all.stream().filter(s -> !s.domain().equals(held)).toList();
                List<Sentence> test = all.stream().filter(s -> s.domain().equals(held)).toList();
                report(say, "train on the others, test on " + held, train, test, held.equals(domains.getLast()) ? checkpoint : null);
            }
        } else {
            List<Sentence> shuffled = shuffled(all);
            Map<String, int[]> right = new LinkedHashMap<>();
            Map<String, List<Double>> perFold = new LinkedHashMap<>();
            for (int fold = 0; fold < folds; fold++) {
                Fold f = fold(shuffled, fold);
                evaluate(f.train(), f.test(), fold == folds - 1 ? checkpoint : null).forEach((model, correct) -> {
                    right.computeIfAbsent(model, m -> new int[1])[0] += correct;
                    perFold.computeIfAbsent(model, m -> new ArrayList<>()).add(correct / (double) f.test().size());
                });
            }
            say.printf(Locale.ROOT, "%s, %d-fold cross-validation over %s (%d %s, each tested once by a model that did not train on it):%n",
                    data == null ? "in-domain" : labels.size() + " classes", folds, data == null ? String.join("+", domains) : data,
                    shuffled.size(), data == null ? "sentences" : "texts");
            right.forEach((model, correct) -> say.printf(Locale.ROOT, "  %-34s accuracy %.3f (folds %.3f to %.3f)%n", model,
                    correct[0] / (double) shuffled.size(), Collections.min(perFold.get(model)), Collections.max(perFold.get(model))));
        }
        say.printf(Locale.ROOT, "bidirectional GRU of the last %s, with its vocabulary and labels: %s%n",
                across ? "setting" : "fold", checkpoint);
        say.flush();
        return 0;
    }

    /** The review sentences of {@code --domains}. */
    List<Sentence> reviews() throws IOException {
        List<Sentence> all = new ArrayList<>();
        for (String domain : domains) {
            if (!Corpora.SENTIMENT.containsKey(domain)) {
                throw new IllegalArgumentException("unknown domain '" + domain + "'; known: amazon, imdb, yelp");
            }
            all.addAll(load(domain));
        }
        return all;
    }

    /** The sentences in the seeded order that cross-validation cuts into folds. */
    static List<Sentence> shuffled(List<Sentence> all) {
        List<Sentence> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new Random(1));
        return shuffled;
    }

    /** One round of cross-validation: the sentences it trains on and the ones it tests. */
    record Fold(List<Sentence> train, List<Sentence> test) {
    }

    /** Fold {@code fold} of {@code --folds} over {@link #shuffled} sentences: its share tested, the rest trained on. */
    Fold fold(List<Sentence> shuffled, int fold) {
        int from = shuffled.size() * fold / folds, to = shuffled.size() * (fold + 1) / folds;
        List<Sentence> train = new ArrayList<>(shuffled.subList(0, from));
        train.addAll(shuffled.subList(to, shuffled.size()));
        return new Fold(train, shuffled.subList(from, to));
    }

    /** The user's labelled texts (--data), their labels numbered in sorted order. */
    private List<Sentence> loadOwn() throws IOException {
        LabelledTexts.Data d = LabelledTexts.read(data, !noHeader, textColumn, labelColumn);
        labels = d.labels();
        word = ANY_WORD;
        List<Sentence> out = new ArrayList<>();
        for (LabelledTexts.Example e : d.examples()) {
            List<String> words = words(e.text(), word);
            if (words.isEmpty()) {
                throw new IOException(data + ":" + e.line() + ": a text without words (expected letters or digits in column "
                        + d.textColumn() + ")");
            }
            out.add(new Sentence(words, d.id(e.label()), data.getFileName().toString()));
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "%s: %d texts (column %s), labels (column %s): %s%n", data, out.size(),
                d.textColumn(), d.labelColumn(), String.join(", ", labels));
        return out;
    }

    static List<Sentence> load(String domain) throws IOException {
        String json = Files.readString(Corpora.SENTIMENT.get(domain).fetch(), StandardCharsets.UTF_8);
        List<Sentence> out = new ArrayList<>();
        for (Object item : (List<?>) Json.parse(json)) {
            Map<?, ?> record = (Map<?, ?>) item;
            String text = String.valueOf(record.get("text"));
            List<String> words = words(text, WORD);
            if (!words.isEmpty() && record.get("class") instanceof Long label) {
                out.add(new Sentence(words, (int) (long) label, domain));
            }
        }
        return out;
    }

    static List<String> words(String text, Pattern word) {
        List<String> words = new ArrayList<>();
        Matcher m = word.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            words.add(m.group());
        }
        return words;
    }

    /** Accuracies of every model on {@code test} after training on {@code train}. */
    void report(PrintWriter say, String setting, List<Sentence> train, List<Sentence> test, Path checkpoint) throws IOException {
        say.printf(Locale.ROOT, "%s (%d training, %d test sentences):%n", setting, train.size(), test.size());
        evaluate(train, test, checkpoint).forEach((model, right) -> say.printf(Locale.ROOT, "  %-34s accuracy %.3f%n", model, right / (double) test.size()));
        say.flush();
    }

    /**
     * How many of {@code test} each model classifies right after training on {@code train}; the
     * bidirectional GRU saved to {@code checkpoint} unless it is null.
     */
    Map<String, Integer> evaluate(List<Sentence> train, List<Sentence> test, Path checkpoint) throws IOException {
        Vocabulary vocabulary = vocabulary(train);
        Map<String, Integer> results = new LinkedHashMap<>();
        int[] counts = new int[labels.size()];
        train.forEach(s -> counts[s.label()]++);
        int majority = 0;
        for (int c = 1; c < counts.length; c++) { // a tie goes to the later label, as 1 beat 0 on a tie before
            majority = counts[c] >= counts[majority] ? c : majority;
        }
        int most = majority;
        results.put("majority class", (int) test.stream().filter(s -> s.label() == most).count());
        results.put("bag-of-words logistic regression", bagOfWords(vocabulary, train, test));
        for (Direction direction : Direction.values()) {
            results.put(direction == Direction.BIDIRECTIONAL ? "bidirectional GRU" : "GRU (left to right)",
                    recurrent(vocabulary, train, test, direction, direction == Direction.BIDIRECTIONAL ? checkpoint : null));
        }
        return results;
    }

    /** The words the models know: those of the training sentences, in order of first use, after the unknown word (id 0). */
    static Vocabulary vocabulary(List<Sentence> train) {
        return Vocabulary.firstSeen(train.stream().map(Sentence::words).toList(), "<unknown>");
    }

    private int recurrent(Vocabulary vocabulary, List<Sentence> train, List<Sentence> test, Direction direction, Path checkpoint)
            throws IOException {
        try (SequenceClassifier model = trainGru(vocabulary, train, direction)) {
            int right = correct(logits(model, test, vocabulary), test);
            if (checkpoint != null) {
                Checkpoint.saveModel(checkpoint, model, null, Map.of("vocabulary", String.join("\n", vocabulary.tokens()),
                        "labels", String.join("\n", labels), "words", word.pattern() + " (lowercased; token ids by the vocabulary, 0 unknown)"));
            }
            return right;
        }
    }

    /** A GRU classifier ({@code direction}) trained on {@code train} in float32: the caller closes it. */
    SequenceClassifier trainGru(Vocabulary vocabulary, List<Sentence> train, Direction direction) {
        SequenceClassifier model = new SequenceClassifier(vocabulary.size(), 64, CellKind.GRU, 64, 1, direction, labels.size(), 3)
                .dropout(DROPOUT, 5).pooling(pooling).backend(backend.name());
        try {
            float[] embeddings = model.parameters().get(0).values(); // small word vectors: the GRU starts unsaturated
            for (int i = 0; i < embeddings.length; i++) {
                embeddings[i] *= 0.1f;
            }
            model.parameters().get(0).changed();
            Optimizer adam = Optimizer.adamW(model, RATE, 0.05);
            long steps = Trainer.steps(epochs, train.size(), 32);
            Trainer trainer = new Trainer(adam, LearningRate.warmupCosine(RATE, steps / 20, steps), steps).seed(2);
            trainer.fit(train, 32, part -> batch(part, vocabulary), b -> {
                for (int[] row : b.tokens()) { // word dropout: the unknown word learns a meaning, the model leans on no single word
                    for (int i = 0; i < row.length; i++) {
                        row[i] = trainer.random().nextDouble() < WORD_DROPOUT ? 0 : row[i];
                    }
                }
                return model.trainStep(b.tokens(), b.lengths(), b.labels(), adam, 5.0);
            });
            return model;
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    /** The class scores {@code [test.size() * classes]} of {@code model} for {@code test}, in batches of 128. */
    static float[] logits(SequenceClassifier model, List<Sentence> test, Vocabulary vocabulary) {
        List<float[]> parts = new ArrayList<>();
        for (int from = 0; from < test.size(); from += 128) {
            Batch b = batch(test.subList(from, Math.min(test.size(), from + 128)), vocabulary);
            parts.add(model.logits(b.tokens(), b.lengths()).toArray());
        }
        return Sequences.concatenate(parts);
    }

    /** How many of {@code test} the class scores {@code logits} classify right (the first of equal scores). */
    int correct(float[] logits, List<Sentence> test) {
        int[] predicted = Sequences.argmax(logits, labels.size());
        int right = 0;
        for (int i = 0; i < predicted.length; i++) {
            right += predicted[i] == test.get(i).label() ? 1 : 0;
        }
        return right;
    }

    record Batch(int[][] tokens, int[] lengths, int[] labels) {
    }

    /** Time-first token ids, padded with the unknown word past each sentence's length. */
    static Batch batch(List<Sentence> sentences, Vocabulary vocabulary) {
        Batches.Tokens t = Batches.tokens(sentences.stream().map(s -> vocabulary.ids(s.words())).toList(), 0);
        return new Batch(t.ids(), t.lengths(), sentences.stream().mapToInt(Sentence::label).toArray());
    }

    /** Logistic regression on word counts (a linear layer and softmax cross-entropy), the usual strong baseline. */
    private int bagOfWords(Vocabulary vocabulary, List<Sentence> train, List<Sentence> test) {
        Linear linear = new Linear(vocabulary.size(), labels.size(), 4);
        Optimizer adam = Optimizer.adam(linear, 0.02);
        new Trainer(adam, LearningRate.constant(0.02), Trainer.steps(10, train.size(), 64)).shuffle(false).fit(train, 64, part -> part, part -> {
            adam.zeroGrad();
            int[] labels = part.stream().mapToInt(Sentence::label).toArray();
            Losses.Loss loss = Losses.softmaxCrossEntropy(linear.forward(counts(part, vocabulary)), labels, -1);
            linear.backward(loss.gradient());
            adam.step();
            return loss.value();
        });
        float[] z = linear.forward(counts(test, vocabulary)).toArray();
        int right = 0, classes = labels.size();
        for (int i = 0; i < test.size(); i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) { // the first of equal scores, as before
                best = z[classes * i + c] > z[classes * i + best] ? c : best;
            }
            right += best == test.get(i).label() ? 1 : 0;
        }
        return right;
    }

    private static FloatTensor counts(List<Sentence> sentences, Vocabulary vocabulary) {
        FloatTensor x = FloatTensor.zeros(sentences.size(), vocabulary.size());
        for (int n = 0; n < sentences.size(); n++) {
            for (String w : sentences.get(n).words()) {
                int id = vocabulary.id(w);
                x.set(n, id, x.get(n, id) + 1);
            }
        }
        return x;
    }
}

package dev.jrnn.apps;

import dev.jrnn.apps.Seq2SeqTraining.Pair;
import dev.jrnn.apps.data.Corpora;
import dev.jrnn.apps.data.SentencePairs;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.data.Vocabulary;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn translate}: German to English, word by word, with an encoder-decoder
 * ({@link Seq2Seq}, LSTM, dot attention). Data: the example sentences of the Debian
 * {@code trans-de-en} dictionary (lines {@code German :: English}; {@code  | } separates aligned
 * sub-entries, used only when both sides have as many; {@code {..}}, {@code [..]}, {@code (..)}
 * and {@code <..>} annotations removed; the first of alternatives joined by {@code ; }; both sides
 * must end in {@code .?!}). Sentences are lowercased and tokenized into words (apostrophes stay
 * inside a word: {@code don't}) and punctuation marks; pairs with at most {@code --max-tokens} on
 * each side are kept, one per German sentence, and split into a seeded training set and a
 * held-out share. Vocabularies are the most frequent training tokens; the rest read as
 * {@code <unk>}. The model learns to predict {@code <unk>} too, but never writes it: it matches no
 * reference word, and an undertrained model would write little else.
 *
 * <p>Reported: corpus BLEU-4 ({@link Bleu}) of greedy decoding and beam search on the held-out
 * pairs (finished hypotheses ranked by log-probability per word: by total log-probability, an
 * undertrained model's beam prefers ending at once), against copying the German sentence as the English one, scored by the same code.
 *
 * <p>With {@code --pairs FILE} the same on the user's own sentence pairs ({@link SentencePairs}:
 * a TSV of source and target, e.g. an Anki or Tatoeba export), tokenized the same way. The
 * trained model is saved as a checkpoint with both vocabularies.
 */
@Command(name = "translate", mixinStandardHelpOptions = true,
        description = "German to English (encoder-decoder with attention) on trans-de-en sentence pairs, or your own (--pairs): held-out BLEU-4.")
final class TranslateCommand implements Callable<Integer> {

    private static final Pattern ANNOTATION = Pattern.compile("\\{[^{}]*}|\\[[^\\[\\]]*]|\\([^()]*\\)|<[^<>]*>");
    private static final Pattern ALTERNATIVE = Pattern.compile("(?<=[.?!]);\\s");
    private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}]+(?:'[\\p{L}\\p{N}]+)*|[^\\p{L}\\p{N}\\s]");

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--steps", defaultValue = "4000", description = "training steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--batch", defaultValue = "64", description = "sentence pairs per training step (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--hidden", defaultValue = "256", description = "LSTM hidden size (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--embedding", defaultValue = "128", description = "word vector size (default ${DEFAULT-VALUE})")
    int embedding;

    @Option(names = "--vocabulary", defaultValue = "3000", description = "most frequent words kept on each side (default ${DEFAULT-VALUE})")
    int vocabulary;

    @Option(names = "--max-tokens", defaultValue = "10", description = "longest sentence kept, in tokens (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--beam", defaultValue = "5", description = "beam width (default ${DEFAULT-VALUE})")
    int beam;

    @Option(names = "--pairs", paramLabel = "FILE", description = "your own sentence pairs instead of German-English: a TSV of a source and its target a line (Anki/manythings.org: the first two columns; Tatoeba's id, text, id, text: the texts)")
    Path pairsFile;

    @Option(names = "--sample", defaultValue = "0", description = "use a seeded sample of this many pairs (default 0: all)")
    int pairs;

    @Option(names = "--held-out", defaultValue = "0.1", description = "share of the pairs held out (default ${DEFAULT-VALUE})")
    double heldOut;

    @Option(names = "--learning-rate", defaultValue = "3e-3", description = "Adam's peak learning rate (warm-up, then cosine decay to 0; default ${DEFAULT-VALUE})")
    double learningRate;

    @Option(names = "--dropout", defaultValue = "0.3", description = "dropout on word vectors and before the output layer while training (default ${DEFAULT-VALUE})")
    double dropout;

    @Option(names = "--export", description = "also write the tokenized training and held-out pairs and both vocabularies to this directory "
            + "(train.tsv, heldout.tsv: German TAB English, tokens separated by spaces; de.vocab, en.vocab: one token a line, by id), for a peer to train on the same data")
    Path export;

    @Option(names = "--examples", defaultValue = "8", description = "held-out pairs to print (default ${DEFAULT-VALUE})")
    int examples;

    @Option(names = "--out", defaultValue = "jrnn-translate", description = "folder for the model's checkpoint and the picture (default ${DEFAULT-VALUE})")
    Path out;

    /** Not auto: mixed sentence lengths make many batch shapes, and timing every backend on each new one costs more than the training. */
    @Mixin
    BackendOption backend = new BackendOption();

    /** A tokenized sentence pair. */
    record Sentences(List<String> german, List<String> english) {
    }

    @Override
    public Integer call() throws IOException {
        for (String flag : new String[] {"--steps", "--batch", "--hidden", "--embedding", "--vocabulary", "--max-tokens", "--beam"}) {
            Seq2SeqTraining.positive(flag, (int) spec.findOption(flag).getValue());
        }
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new IllegalArgumentException("--held-out must be between 0 and 1, got " + heldOut);
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("--learning-rate must be positive, got " + learningRate);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
        }
        if (pairs < 0 || pairs == 1) {
            throw new IllegalArgumentException("--sample must be 0 (all) or at least 2, got " + pairs);
        }
        PrintWriter say = spec.commandLine().getOut();
        List<Sentences> all = pairsFile == null ? load(Corpora.DE_EN.fetch(), maxTokens) : loadOwn(pairsFile, maxTokens);
        String from = pairsFile == null ? "German" : "source", to = pairsFile == null ? "English" : "target";
        Collections.shuffle(all, new Random(1));
        List<Sentences> used = pairs == 0 ? all : all.subList(0, Math.min(pairs, all.size()));
        int cut = (int) Math.round(used.size() * (1 - heldOut));
        List<Sentences> train = used.subList(0, cut), test = used.subList(cut, used.size());
        if (train.isEmpty() || test.isEmpty()) {
            throw new IllegalArgumentException((pairsFile != null ? pairsFile + ": " : "") + used.size() + " pairs with --held-out " + heldOut
                    + " leave no pair to train or to test on" + (pairsFile != null ? " (expected more pairs)" : ""));
        }
        Vocabulary german = Seq2SeqTraining.vocabulary(train.stream().map(Sentences::german).toList(), vocabulary);
        Vocabulary english = Seq2SeqTraining.vocabulary(train.stream().map(Sentences::english).toList(), vocabulary);
        say.printf(Locale.ROOT, "translate: %d training pairs, %d held out (at most %d tokens a side); vocabularies %d %s, "
                        + "%d %s words, covering %.1f%% and %.1f%% of the held-out tokens%n",
                train.size(), test.size(), maxTokens, german.size(), from, english.size(), to,
                100 * german.coverage(test.stream().map(Sentences::german).toList()),
                100 * english.coverage(test.stream().map(Sentences::english).toList()));
        if (export != null) {
            export(export, train, test, german, english);
            say.println("translate: wrote the pairs and vocabularies to " + export);
        }
        say.flush();

        try (Seq2Seq model = new Seq2Seq(CellKind.LSTM, german.size(), english.size(), embedding, hidden, 1, 1, 2, 7)
                .backend(backend.name()).neverEmit(0).dropout(dropout, 7)) { // <unk> would always cost the word
            long started = System.nanoTime();
            List<Pair> ids = train.stream().map(p -> new Pair(german.ids(p.german()), english.ids(p.english()))).toList();
            double loss = Seq2SeqTraining.train(model, ids, steps, batch, learningRate, say);
            say.printf(Locale.ROOT, "trained in %.1f s; training loss %.3f nats per word (last 10%% of steps; each word by its frequency: %.3f)%n",
                    (System.nanoTime() - started) / 1e9, loss, Seq2SeqTraining.unigramLoss(ids));
            // does the decoder read the German at all? the same English is likelier after its own German than after another's
            List<Pair> own = new ArrayList<>(), other = new ArrayList<>();
            int checked = Math.min(256, test.size());
            for (int i = 0; i < checked; i++) {
                int[] target = english.ids(test.get(i).english());
                own.add(new Pair(german.ids(test.get(i).german()), target));
                other.add(new Pair(german.ids(test.get((i + 1) % test.size()).german()), target));
            }
            say.printf(Locale.ROOT, "held-out loss (%d pairs, nats per word): after its own %s %.3f, after another pair's %s %.3f%n",
                    checked, from, heldOutLoss(model, own), from, heldOutLoss(model, other));

            long decoding = System.nanoTime();
            List<List<String>> references = new ArrayList<>(), copies = new ArrayList<>(), greedy = new ArrayList<>(),
                    beamed = new ArrayList<>();
            for (Sentences p : test) {
                int[] source = german.ids(p.german());
                int maxLength = 2 * source.length + 5;
                references.add(p.english());
                copies.add(p.german());
                greedy.add(english.tokens(model.translate(source, maxLength)));
                beamed.add(english.tokens(model.translate(source, maxLength, beam, true)));
            }
            say.printf(Locale.ROOT, "held-out corpus BLEU-4 (%d pairs, %d reference words; decoding %.1f s):%n",
                    test.size(), references.stream().mapToInt(List::size).sum(), (System.nanoTime() - decoding) / 1e9);
            report(say, "copy the " + from + " (baseline)", Bleu.corpus(copies, references));
            report(say, "greedy", Bleu.corpus(greedy, references));
            report(say, "beam, width " + beam + ", per word", Bleu.corpus(beamed, references));
            say.println("held-out examples (" + from + ", reference, greedy, beam):");
            for (int i = 0; i < Math.min(examples, test.size()); i++) {
                say.println((pairsFile == null ? "  de:    " : "  from:  ") + String.join(" ", test.get(i).german()));
                say.println((pairsFile == null ? "  en:    " : "  to:    ") + String.join(" ", references.get(i)));
                say.println("  greedy " + String.join(" ", greedy.get(i)));
                say.println("  beam   " + String.join(" ", beamed.get(i)));
            }
            Files.createDirectories(out);
            Path checkpoint = out.resolve("translate-seq2seq.safetensors");
            Checkpoint.saveModel(checkpoint, model, null, Map.of("source_vocabulary", String.join("\n", german.tokens()),
                    "target_vocabulary", String.join("\n", english.tokens())));
            say.println("model, with both vocabularies: " + checkpoint);
            Path picture = out.resolve("attention.png");
            Sentences first = test.get(0);
            Seq2SeqTraining.attentionMap(picture, "translate: attention while emitting the greedy " + to + " of a held-out sentence", model,
                    german.ids(first.german()), first.german(), english.ids(greedy.get(0)), greedy.get(0));
            say.println("attention map of the first held-out pair (rows: the greedy " + to + ", columns: the " + from + "): " + picture);
            say.flush();
        }
        return 0;
    }

    /**
     * Writes {@code train.tsv} and {@code heldout.tsv} (a pair a line: the German tokens, a tab, the
     * English tokens; tokens never hold white space) and {@code de.vocab}, {@code en.vocab} (the
     * vocabularies' tokens a line, in id order) to {@code directory}, each through a temporary
     * file renamed into place, so a reader never sees half a file.
     */
    static void export(Path directory, List<Sentences> train, List<Sentences> test, Vocabulary german, Vocabulary english)
            throws IOException {
        Files.createDirectories(directory);
        write(directory.resolve("train.tsv"), train.stream().map(TranslateCommand::line).toList());
        write(directory.resolve("heldout.tsv"), test.stream().map(TranslateCommand::line).toList());
        write(directory.resolve("de.vocab"), german.tokens());
        write(directory.resolve("en.vocab"), english.tokens());
    }

    private static String line(Sentences p) {
        return String.join(" ", p.german()) + "\t" + String.join(" ", p.english());
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.write(temporary, lines, StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static double heldOutLoss(Seq2Seq model, List<Pair> pairs) {
        Batches.Pairs b = Seq2SeqTraining.batch(pairs);
        return model.loss(b.source(), b.sourceLengths(), b.target(), b.targetLengths());
    }

    private static void report(PrintWriter say, String what, Bleu.Score s) {
        double[] p = s.precisions();
        say.printf(Locale.ROOT, "  %-28s BLEU %5.2f  (precisions %.3f %.3f %.3f %.3f, brevity penalty %.3f, %d words for %d)%n",
                what, 100 * s.bleu(), p[0], p[1], p[2], p[3], s.brevityPenalty(), s.hypothesisLength(), s.referenceLength());
    }

    /** Sentence pairs of at most {@code maxTokens} tokens a side, one per German sentence, in file order. */
    static List<Sentences> load(Path file, int maxTokens) throws IOException {
        List<Sentences> out = new ArrayList<>();
        Set<List<String>> seen = new HashSet<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int split = line.indexOf(" :: ");
            if (line.startsWith("#") || split < 0) {
                continue;
            }
            String[] de = line.substring(0, split).split(" \\| "), en = line.substring(split + 4).split(" \\| ");
            if (de.length != en.length) {
                continue; // sub-entries that do not pair up
            }
            for (int i = 0; i < de.length; i++) {
                String d = sentence(de[i]), e = sentence(en[i]);
                if (d == null || e == null) {
                    continue;
                }
                List<String> german = tokens(d), english = tokens(e);
                if (german.size() <= maxTokens && english.size() <= maxTokens && seen.add(german)) {
                    out.add(new Sentences(german, english));
                }
            }
        }
        return out;
    }

    /** A user's sentence pairs of at most {@code maxTokens} tokens a side, one per source sentence, in file order. */
    static List<Sentences> loadOwn(Path file, int maxTokens) throws IOException {
        List<Sentences> out = new ArrayList<>();
        Set<List<String>> seen = new HashSet<>();
        List<SentencePairs.Pair> read = SentencePairs.read(file);
        for (SentencePairs.Pair p : read) {
            List<String> source = tokens(p.source()), target = tokens(p.target());
            if (source.isEmpty() || target.isEmpty()) {
                throw new IOException(file + ":" + p.line() + ": a side without words or punctuation (expected a source and its target)");
            }
            if (source.size() <= maxTokens && target.size() <= maxTokens && seen.add(source)) {
                out.add(new Sentences(source, target));
            }
        }
        if (out.size() < 2) {
            throw new IOException(file + ": " + out.size() + " of " + read.size() + " pairs have at most " + maxTokens
                    + " tokens a side and a source of their own; expected at least 2 (raise --max-tokens or give more pairs)");
        }
        return out;
    }

    /** The first alternative of a side without its annotations, if it is a sentence (ends in {@code .?!}); else null. */
    static String sentence(String side) {
        String s = side;
        for (int i = 0; i < 2; i++) { // annotations nest at most once, e.g. (in Großbritannien [Br.])
            s = ANNOTATION.matcher(s).replaceAll("");
        }
        s = ALTERNATIVE.split(s.replaceAll("\\s+", " ").strip())[0].strip();
        return s.isEmpty() || ".?!".indexOf(s.charAt(s.length() - 1)) < 0 ? null : s;
    }

    static List<String> tokens(String sentence) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(sentence.toLowerCase(Locale.ROOT).replace('’', '\''));
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }
}

package dev.jrnn.apps;

import dev.jrnn.apps.Seq2SeqTraining.Pair;
import dev.jrnn.apps.data.Corpora;
import dev.jrnn.apps.data.SentencePairs;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.data.Vocabulary;
import dev.jrnn.models.train.Checkpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.stream.IntStream;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn g2p}: grapheme-to-phoneme conversion, many-to-many with an encoder-decoder
 * ({@link Seq2Seq}, LSTM, dot attention) reading an English word's letters and writing its IPA
 * phonemes. Data: the single-word headwords of the FreeDict English-French dictionary with their
 * IPA (about 7,200 words, lowercased, the first pronunciation of a repeated word), split by word
 * into a seeded training set and a held-out tenth.
 *
 * <p>Phoneme tokens: the IPA string without stress marks ({@code ˈ ˌ}), spaces and hyphens, read
 * symbol by symbol, except that the length mark {@code ː} joins the vowel before it ({@code iː} is
 * one token) and {@code tʃ}, {@code dʒ} are one token each (affricates); {@code ɡ} and {@code ɹ}
 * become {@code g} and {@code r} (a few entries use them for what the others write g and r).
 * Diphthongs stay two tokens, as the dictionary spells them ({@code ei}, {@code ai}, {@code ou}).
 *
 * <p>Reported: the phoneme error rate on held-out words (edit distance between the output's and
 * the reference's phoneme tokens, summed over words, divided by the number of reference tokens),
 * for greedy decoding and beam search, against the copy baseline: the word's letters taken as its
 * phonemes, scored by the same code.
 *
 * <p>With {@code --pairs FILE} the same on the user's own words and pronunciations
 * ({@link SentencePairs}: a TSV of a word and its pronunciation a line): a pronunciation with
 * spaces is read as space-separated phonemes (ARPAbet as in CMUdict: {@code K AE1 T}), one
 * without as IPA, tokenized as above. The trained model is saved as a checkpoint with both vocabularies.
 */
@Command(name = "g2p", mixinStandardHelpOptions = true,
        description = "Grapheme-to-phoneme (encoder-decoder with attention): English spelling to IPA, or your own words and pronunciations (--pairs), phoneme error rate on held-out words.")
final class G2pCommand implements Callable<Integer> {

    private static final Pattern HEADWORD = Pattern.compile("([A-Za-z]+) /([^/]+)/");

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--steps", defaultValue = "1500", description = "training steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--batch", defaultValue = "64", description = "words per training step (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--hidden", defaultValue = "128", description = "LSTM hidden size (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--beam", defaultValue = "5", description = "beam width (default ${DEFAULT-VALUE})")
    int beam;

    @Option(names = "--pairs", paramLabel = "FILE", description = "your own words instead of the dictionary's: a TSV of a word and its pronunciation a line (IPA, or phonemes separated by spaces)")
    Path pairsFile;

    @Option(names = "--words", defaultValue = "0", description = "use a seeded sample of this many words (default 0: all)")
    int words;

    @Option(names = "--held-out", defaultValue = "0.1", description = "share of the words held out (default ${DEFAULT-VALUE})")
    double heldOut;

    @Option(names = "--examples", defaultValue = "8", description = "held-out words to print (default ${DEFAULT-VALUE})")
    int examples;

    @Option(names = "--out", defaultValue = "jrnn-g2p", description = "folder for the model's checkpoint and the picture (default ${DEFAULT-VALUE})")
    Path out;

    /** Not auto: mixed word lengths make many batch shapes, and timing every backend on each new one costs more than the training. */
    @Mixin
    BackendOption backend = new BackendOption();

    /** Between phonemes in the printed examples: none for IPA, a space for phonemes that a user's file spaced (ARPAbet). */
    private String phonemeSeparator = "";

    /** A word, its letters and its reference phonemes. */
    record Word(String spelling, List<String> letters, List<String> phonemes) {
    }

    @Override
    public Integer call() throws IOException {
        Seq2SeqTraining.positive("--steps", steps);
        Seq2SeqTraining.positive("--batch", batch);
        Seq2SeqTraining.positive("--hidden", hidden);
        Seq2SeqTraining.positive("--beam", beam);
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new IllegalArgumentException("--held-out must be between 0 and 1, got " + heldOut);
        }
        if (words < 0 || words == 1) {
            throw new IllegalArgumentException("--words must be 0 (all) or at least 2, got " + words);
        }
        PrintWriter say = spec.commandLine().getOut();
        List<Word> all = pairsFile != null ? loadOwn(pairsFile) : new ArrayList<>();
        if (all.stream().anyMatch(w -> w.phonemes().stream().anyMatch(p -> p.codePointCount(0, p.length()) > 2))) {
            phonemeSeparator = " "; // e.g. AH0: symbols of several letters
        }
        if (pairsFile == null) {
            load(Corpora.ENG_FRA_DICT.fetch()).forEach((w, ipa) -> all.add(new Word(w, letters(w), phonemes(ipa))));
        }
        Collections.shuffle(all, new Random(1));
        List<Word> used = words == 0 ? all : all.subList(0, Math.min(words, all.size()));
        int cut = (int) Math.round(used.size() * (1 - heldOut));
        List<Word> train = used.subList(0, cut), test = used.subList(cut, used.size());
        if (train.isEmpty() || test.isEmpty()) {
            throw new IllegalArgumentException((pairsFile != null ? pairsFile + ": " : "") + used.size() + " words with --held-out "
                    + heldOut + " leave no word to train or to test on" + (pairsFile != null ? " (expected more words)" : ""));
        }
        Vocabulary letters = Seq2SeqTraining.vocabulary(train.stream().map(Word::letters).toList(), Integer.MAX_VALUE);
        Vocabulary phonemes = Seq2SeqTraining.vocabulary(train.stream().map(Word::phonemes).toList(), Integer.MAX_VALUE);
        say.printf(Locale.ROOT, "g2p: %d training words, %d held out; %d letters, %d phonemes (%s ...)%n",
                train.size(), test.size(), letters.size() - 3, phonemes.size() - 3,
                String.join(" ", phonemes.tokens(IntStream.range(3, Math.min(11, phonemes.size())).toArray())));
        say.flush();

        try (Seq2Seq model = new Seq2Seq(CellKind.LSTM, letters.size(), phonemes.size(), 32, hidden, 1, 1, 2, 7)
                .backend(backend.name())) {
            long started = System.nanoTime();
            List<Pair> pairs = train.stream().map(w -> new Pair(letters.ids(w.letters()), phonemes.ids(w.phonemes()))).toList();
            double loss = Seq2SeqTraining.train(model, pairs, steps, batch, 3e-3, say);
            say.printf(Locale.ROOT, "trained in %.1f s; training loss %.3f nats per phoneme (last 10%% of steps; each phoneme by its frequency: %.3f)%n",
                    (System.nanoTime() - started) / 1e9, loss, Seq2SeqTraining.unigramLoss(pairs));

            long decoding = System.nanoTime();
            long reference = 0, copyErrors = 0, greedyErrors = 0, beamErrors = 0;
            List<String> shown = new ArrayList<>();
            for (Word w : test) {
                int[] source = letters.ids(w.letters());
                int maxLength = 2 * source.length + 5;
                List<String> greedy = phonemes.tokens(model.translate(source, maxLength));
                List<String> beamed = phonemes.tokens(model.translate(source, maxLength, beam));
                reference += w.phonemes().size();
                copyErrors += Seq2SeqTraining.editDistance(w.letters(), w.phonemes());
                greedyErrors += Seq2SeqTraining.editDistance(greedy, w.phonemes());
                beamErrors += Seq2SeqTraining.editDistance(beamed, w.phonemes());
                if (shown.size() < examples) {
                    shown.add(String.format(Locale.ROOT, "  %-16s /%s/  greedy /%s/  beam /%s/", w.spelling(),
                            String.join(phonemeSeparator, w.phonemes()), String.join(phonemeSeparator, greedy),
                            String.join(phonemeSeparator, beamed)));
                }
            }
            say.printf(Locale.ROOT, "held-out phoneme error rate (%d words, %d reference phonemes; decoding %.1f s):%n",
                    test.size(), reference, (System.nanoTime() - decoding) / 1e9);
            say.printf(Locale.ROOT, "  %-28s PER %.3f%n", "copy the spelling (baseline)", copyErrors / (double) reference);
            say.printf(Locale.ROOT, "  %-28s PER %.3f%n", "greedy", greedyErrors / (double) reference);
            say.printf(Locale.ROOT, "  %-28s PER %.3f%n", "beam search, width " + beam, beamErrors / (double) reference);
            say.println("held-out examples (reference, greedy, beam):");
            shown.forEach(say::println);
            Files.createDirectories(out);
            Path checkpoint = out.resolve("g2p-seq2seq.safetensors");
            Checkpoint.saveModel(checkpoint, model, null, Map.of("source_vocabulary", String.join("\n", letters.tokens()),
                    "target_vocabulary", String.join("\n", phonemes.tokens())));
            say.println("model, with both vocabularies: " + checkpoint);
            Path picture = out.resolve("attention.png");
            Word first = test.get(0);
            int[] spelled = letters.ids(first.letters()), pronounced = model.translate(spelled, 2 * spelled.length + 5);
            Seq2SeqTraining.attentionMap(picture, "g2p: attention while pronouncing \"" + first.spelling() + "\" (greedy)", model,
                    spelled, first.letters(), pronounced, phonemes.tokens(pronounced));
            say.println("attention map of the first held-out word (rows: the greedy phonemes, columns: the letters): " + picture);
            say.flush();
        }
        return 0;
    }

    /** Single-word headwords and their IPA (between slashes), lowercased, the first of each word. */
    static Map<String, String> load(Path dictDz) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(dictDz)), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                Matcher m = HEADWORD.matcher(line);
                if (m.matches()) {
                    out.putIfAbsent(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
                }
            }
        }
        return out;
    }

    /** A user's words (lowercased, the first of each) and pronunciations. */
    static List<Word> loadOwn(Path file) throws IOException {
        Map<String, Word> out = new LinkedHashMap<>();
        for (SentencePairs.Pair p : SentencePairs.read(file)) {
            String word = p.source().toLowerCase(Locale.ROOT);
            List<String> phonemes = p.target().contains(" ") ? List.of(p.target().split("\\s+")) : phonemes(p.target());
            if (phonemes.isEmpty()) {
                throw new IOException(file + ":" + p.line() + ": a pronunciation without phonemes (expected IPA, or phonemes separated by spaces)");
            }
            out.putIfAbsent(word, new Word(word, letters(word), phonemes));
        }
        return new ArrayList<>(out.values());
    }

    static List<String> letters(String word) {
        return word.codePoints().mapToObj(Character::toString).toList();
    }

    /** Phoneme tokens of an IPA string, as the class comment defines them. */
    static List<String> phonemes(String ipa) {
        String s = ipa.replaceAll("[ˈˌ \\-‐]", "").replace('ɡ', 'g').replace('ɹ', 'r');
        List<String> out = new ArrayList<>();
        s.codePoints().mapToObj(Character::toString).forEach(symbol -> {
            String last = out.isEmpty() ? "" : out.getLast();
            boolean joins = symbol.equals("ː") && !out.isEmpty()
                    || symbol.equals("ʃ") && last.equals("t") || symbol.equals("ʒ") && last.equals("d");
            if (joins) {
                out.set(out.size() - 1, last + symbol);
            } else {
                out.add(symbol);
            }
        });
        return out;
    }
}

package dev.jrnn.apps;

import static dev.jrnn.apps.RunCommandTest.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every text command on a small file of the user's own (a few seconds each, tiny models): it
 * trains, reports its held-out figures, which must beat its baseline, and writes a checkpoint that
 * {@code jrnn run} and {@code jrnn export} read. And every kind of bad file is one line on
 * standard error naming the file, the line and what was expected.
 */
class OwnDataCommandTest {

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    /** Sentences of a small grammar: predictable enough for a tiny model to learn in a hundred steps. */
    private static String prose(int sentences, long seed) {
        String[] subjects = {"the cat", "a dog", "the old man", "my sister"}, verbs = {"sees", "likes", "finds", "draws"},
                objects = {"the sea", "a red ball", "the garden", "an apple"};
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            sb.append(subjects[r.nextInt(4)]).append(' ').append(verbs[r.nextInt(4)]).append(' ')
                    .append(objects[r.nextInt(4)]).append(i % 5 == 4 ? ".\n" : ". ");
        }
        return sb.toString();
    }

    @Test
    void demoTrainsOnSeveralTextFilesAndGenerateContinuesIt() throws Exception {
        Path a = file("a.txt", prose(150, 1)), b = file("b.txt", prose(30, 2));
        Path out = dir.resolve("demo");
        Run run = RunCommandTest.jrnn("demo", "--text", a.toString(), b.toString(), "--held-out", "0.15", "--steps", "150",
                "--hidden", "32", "--batch", "8", "--chunk", "32", "--length", "40", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        double bits = number(run.out(), "held-out text \\(the last 15%\\): ([0-9.]+) bits per character");
        double unigram = number(run.out(), "frequency in the training text: ([0-9.]+) bits per character");
        assertTrue(bits < unigram - 0.5, run.out());
        assertTrue(run.out().contains("--- generated at temperature 0.7 ---\n" + prose(1, 1).substring(0, 5)), "the default prompt is the text's start: " + run.out());
        Path checkpoint = out.resolve("char-lstm.safetensors");
        Run generated = RunCommandTest.jrnn("generate", "--checkpoint", checkpoint.toString(), "--prompt", "a dog ", "--length", "20");
        assertEquals(0, generated.status(), generated.err());
        assertEquals(26, generated.out().strip().length(), generated.out());

        // the command's checkpoint: jrnn run and ONNX Runtime give what the model loaded through the API gives
        try (LanguageModel lm = Checkpoint.loadModel(checkpoint, LanguageModel.class).backend("reference")) {
            int[][] tokens = ModelCheckpointCommandTest.tokens(12, 2, lm.vocabulary());
            ModelCheckpointCommandTest.runsAndExports(checkpoint, tokens, lm.forward(tokens, null).logits().copy(), "logits", dir);
        }
    }

    @Test
    void sentimentCrossValidatesAUsersThreeClassCsv() throws Exception {
        String[][] classes = {{"happy", "wonderful", "great", "love"}, {"sad", "lonely", "tears", "miss"}, {"angry", "furious", "hate", "rage"}};
        String[] filler = {"today", "the", "weather", "was", "and", "i", "felt", "at", "work", "home"};
        Random r = new Random(3);
        StringBuilder csv = new StringBuilder("id,comment,mood\n");
        for (int i = 0; i < 300; i++) {
            int c = i % 3;
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 6; w++) {
                text.append(w == 2 || w == 4 ? classes[c][r.nextInt(4)] : filler[r.nextInt(filler.length)]).append(w == 1 ? ", " : " ");
            }
            csv.append(i).append(",\"").append(text.toString().strip()).append("\",").append(new String[] {"joy", "sorrow", "anger"}[c]).append('\n');
        }
        Path data = file("moods.csv", csv.toString());
        Path out = dir.resolve("sentiment");
        Run run = RunCommandTest.jrnn("sentiment", "--data", data.toString(), "--folds", "3", "--epochs", "10", "--backend", "simd",
                "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        assertTrue(run.out().contains("300 texts (column comment), labels (column mood): anger, joy, sorrow"), run.out());
        assertTrue(run.out().contains("3 classes, 3-fold cross-validation over " + data + " (300 texts"), run.out());
        double majority = number(run.out(), "majority class\\s+accuracy ([0-9.]+)");
        assertTrue(majority < 0.4, "three classes of 100: " + run.out());
        for (String model : new String[] {"bag-of-words logistic regression", "GRU \\(left to right\\)", "bidirectional GRU"}) {
            assertTrue(number(run.out(), model + "\\s+accuracy ([0-9.]+)") > 0.8, model + ": " + run.out());
        }
        Path checkpoint = out.resolve("sentiment-gru.safetensors");
        Checkpoint.SavedModel saved = Checkpoint.loadModel(checkpoint);
        assertEquals("anger\njoy\nsorrow", saved.info().get("labels"));
        try (SequenceClassifier c = (SequenceClassifier) saved.model()) {
            c.backend("reference");
            int vocabulary = saved.info().get("vocabulary").split("\n").length;
            int[][] tokens = ModelCheckpointCommandTest.tokens(7, 3, vocabulary);
            ModelCheckpointCommandTest.runsAndExports(checkpoint, tokens, c.logits(tokens, null).copy(), "logits", dir);
        }
    }

    /** Pairs of a made-up language and English, word for word: a source word always means the same target word. */
    private static String pairs(int count, boolean attribution) {
        String[] source = {"ka", "lo", "mi", "su", "ta", "ne", "ro", "vi"}, target = {"the", "red", "cat", "runs", "a", "big", "dog", "sleeps"};
        Random r = new Random(5);
        StringBuilder tsv = new StringBuilder();
        for (int i = 0; i < count; i++) {
            List<String> s = new ArrayList<>(), t = new ArrayList<>();
            for (int w = 0, n = 3 + r.nextInt(3); w < n; w++) {
                int k = r.nextInt(source.length);
                s.add(source[k]);
                t.add(target[k]);
            }
            tsv.append(String.join(" ", s)).append(" .\t").append(String.join(" ", t)).append(" .")
                    .append(attribution ? "\tCC-BY 2.0 (France) Attribution: tatoeba.org #" + i : "").append('\n');
        }
        return tsv.toString();
    }

    @Test
    void translateLearnsAUsersSentencePairs() throws Exception {
        Path data = file("made-up.tsv", pairs(400, true));
        Path out = dir.resolve("translate");
        Run run = RunCommandTest.jrnn("translate", "--pairs", data.toString(), "--steps", "250", "--batch", "32", "--hidden", "32",
                "--embedding", "16", "--beam", "2", "--dropout", "0", "--examples", "1", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        double loss = number(run.out(), "training loss ([0-9.]+) nats per word");
        double unigram = number(run.out(), "each word by its frequency: ([0-9.]+)");
        assertTrue(loss < unigram - 1, run.out());
        double own = number(run.out(), "after its own source ([0-9.]+)"), other = number(run.out(), "after another pair's source ([0-9.]+)");
        assertTrue(own < other - 0.5, run.out());
        double copy = number(run.out(), "copy the source \\(baseline\\)\\s+BLEU\\s+([0-9.]+)"), greedy = number(run.out(), "greedy\\s+BLEU\\s+([0-9.]+)");
        assertTrue(greedy > copy + 10, run.out());
        Checkpoint.SavedModel saved = Checkpoint.loadModel(out.resolve("translate-seq2seq.safetensors"));
        assertTrue(saved.info().get("source_vocabulary").contains("\nka\n") || saved.info().get("source_vocabulary").contains("ka"), saved.info().toString());
        ((AutoCloseable) saved.model()).close();
    }

    @Test
    void g2pLearnsAUsersWordsAndPronunciations() throws Exception {
        // a spelling where each letter is one sound: a, b, ... read as AA, BE, ...
        String[] sounds = {"AA", "BE", "KA", "DE", "EH", "FE", "GE", "HA"};
        Random r = new Random(7);
        StringBuilder tsv = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            StringBuilder word = new StringBuilder();
            List<String> phonemes = new ArrayList<>();
            for (int k = 0, n = 3 + r.nextInt(4); k < n; k++) {
                int letter = r.nextInt(sounds.length);
                word.append((char) ('a' + letter));
                phonemes.add(sounds[letter]);
            }
            tsv.append(word).append('\t').append(String.join(" ", phonemes)).append('\n');
        }
        Path data = file("words.tsv", tsv.toString());
        Path out = dir.resolve("g2p");
        Run run = RunCommandTest.jrnn("g2p", "--pairs", data.toString(), "--steps", "250", "--batch", "32", "--hidden", "32",
                "--beam", "2", "--examples", "1", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        double copy = number(run.out(), "copy the spelling \\(baseline\\)\\s+PER ([0-9.]+)"), greedy = number(run.out(), "greedy\\s+PER ([0-9.]+)");
        assertEquals(1.0, copy, 1e-9, "no letter is a phoneme token: " + run.out());
        assertTrue(greedy < 0.5, run.out());
        assertTrue(Files.exists(out.resolve("g2p-seq2seq.safetensors")), run.out());
    }

    @Test
    void punctuateLearnsAUsersText() throws Exception {
        Path text = file("prose.txt", prose(600, 4));
        Path out = dir.resolve("punctuate");
        Run run = RunCommandTest.jrnn("punctuate", "--text", text.toString(), "--epochs", "25", "--batch", "4", "--hidden", "24",
                "--embedding", "16", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        String heldOut = run.out().substring(run.out().indexOf("held out: the last 10% of " + text));
        // a sentence ends after every fourth or fifth word: the majority label never writes the period, the bidirectional GRU learns to
        double[] period = PunctuateCommandTest.f1s(heldOut, "period");
        assertEquals(0.0, period[0], heldOut);
        assertTrue(period[2] > 0.5, heldOut);
        assertTrue(Files.exists(out.resolve("punctuate-gru.safetensors")), run.out());
    }

    /** {@code jrnn args...} fails with exactly one line, starting {@code jrnn COMMAND: FILE} and saying {@code expected}. */
    private static void oneLine(Path file, String expected, String... args) {
        Run run = RunCommandTest.jrnn(args);
        assertEquals(Jrnn.USAGE, run.status(), run.out() + run.err());
        String err = run.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("jrnn " + args[0] + ": " + file), err);
        assertTrue(err.contains(expected), "'" + err + "' does not say '" + expected + "'");
    }

    @Test
    void anEmptyFile() throws IOException {
        Path empty = file("empty.txt", "");
        oneLine(empty, "empty.txt: the file is empty (expected UTF-8 text)", "demo", "--text", empty.toString());
        Path emptyCsv = file("empty.csv", "\n");
        oneLine(emptyCsv, "the file is empty", "sentiment", "--data", emptyCsv.toString());
        Path emptyTsv = file("empty.tsv", "");
        oneLine(emptyTsv, "the file is empty", "translate", "--pairs", emptyTsv.toString());
    }

    @Test
    void aRaggedRow() throws IOException {
        Path csv = file("ragged.csv", "text,label\ngood,pos\nbad\n");
        oneLine(csv, "ragged.csv:3: a row of 1 fields where the header has 2", "sentiment", "--data", csv.toString());
        Path tsv = file("ragged.tsv", "hello\tbonjour\nyes\n");
        oneLine(tsv, "ragged.tsv:2: a row of 1 fields where the first row has 2", "g2p", "--pairs", tsv.toString());
    }

    @Test
    void bytesThatAreNotUtf8() throws IOException {
        Path latin1 = Files.write(dir.resolve("latin1.txt"), "first line\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        oneLine(latin1, "latin1.txt:2: byte 0xE9 is not UTF-8", "demo", "--text", latin1.toString());
        Path csv = Files.write(dir.resolve("latin1.csv"), "text,label\nok,1\nnot ok,0\ncaf\u00e9,1\n".getBytes(StandardCharsets.ISO_8859_1));
        oneLine(csv, "latin1.csv:4: byte 0xE9 is not UTF-8", "sentiment", "--data", csv.toString());
    }

    @Test
    void aLabelSeenOnce() throws IOException {
        Path csv = file("once.csv", "text,label\ngood film,pos\nbad film,neg\nfine film,pos\nawful,neg\nso-so,meh\n");
        oneLine(csv, "once.csv:6: the label 'meh' occurs on this line only", "sentiment", "--data", csv.toString());
    }

    @Test
    void fewerExamplesThanFolds() throws IOException {
        Path csv = file("few.csv", "text,label\ngood film,pos\nbad film,neg\nfine film,pos\nawful,neg\n");
        oneLine(csv, "few.csv: 4 examples, fewer than the 5 folds of cross-validation", "sentiment", "--data", csv.toString());
    }

    @Test
    void aPairWithAnEmptySide() throws IOException {
        Path tsv = file("pairs.tsv", "Go.\tVa !\nHi.\t\nRun!\tCours !\n");
        oneLine(tsv, "pairs.tsv:2: an empty target (column 2)", "translate", "--pairs", tsv.toString());
        Path words = file("words.tsv", "cat\tkæt\n\tdɒg\n");
        oneLine(words, "words.tsv:2: an empty source (column 1)", "g2p", "--pairs", words.toString());
    }

    @Test
    void aTextTooShortForTheHeldOutShare() throws IOException {
        Path text = file("short.txt", prose(40, 1));
        oneLine(text, "short.txt: " + prose(40, 1).length() + " characters; the held-out share 0.1 leaves", "demo", "--text", text.toString());
    }

    @Test
    void aFileWithOneColumn() throws IOException {
        Path tsv = file("one.tsv", "just one column\nand another\n");
        oneLine(tsv, "one.tsv:1: one column; expected a source and its target, tab-separated", "translate", "--pairs", tsv.toString());
        Path csv = file("one.csv", "text\nhello\n");
        oneLine(csv, "one.csv: one column; expected a column of texts and one of labels", "sentiment", "--data", csv.toString());
    }
}

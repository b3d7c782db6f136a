package dev.jrnn.apps;

import static dev.jrnn.apps.RunCommandTest.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import dev.jrnn.models.data.Vocabulary;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrnn translate} on a seeded sample of the real sentence pairs (2,000, 200 held out): a
 * short training must bring the training loss a nat per word below the best model that ignores
 * the German and the context (each English word by its frequency), and the held-out output must
 * share more words and word pairs with the references than the German sentences do (BLEU itself
 * is 0 on 200 pairs after so little training).
 */
class TranslateCommandTest {

    private static Matcher matcher(String output, String regex) {
        Matcher m = Pattern.compile(regex).matcher(output);
        assertTrue(m.find(), regex + " missing in: " + output);
        return m;
    }


    @Test
    void learnsFromASliceOfTheSentencePairs(@TempDir Path out) throws IOException {
        Run run = RunCommandTest.jrnn("translate", "--sample", "2000", "--steps", "900", "--batch", "32", "--hidden", "64",
                "--embedding", "32", "--vocabulary", "800", "--beam", "2", "--backend", "simd", "--out", out.toString());
        assertEquals(0, run.status(), run.err() + run.out());
        double loss = number(run.out(), "training loss ([0-9.]+) nats per word");
        double unigram = number(run.out(), "each word by its frequency: ([0-9.]+)");
        assertTrue(loss < unigram - 1, run.out());
        // a decoder that ignored the German (a language model of English) would score both the same
        double own = number(run.out(), "after its own German ([0-9.]+)"), other = number(run.out(), "after another pair's German ([0-9.]+)");
        assertTrue(own < other - 0.2, run.out());
        String precisions = "\\s+BLEU\\s+[0-9.]+\\s+\\(precisions ([0-9.]+) ([0-9.]+)";
        Matcher copy = matcher(run.out(), "copy the German \\(baseline\\)" + precisions);
        for (String decoder : new String[] {"greedy", "beam, width 2, per word"}) {
            Matcher m = matcher(run.out(), decoder + precisions);
            for (int n = 1; n <= 2; n++) { // more words and word pairs of the references than the German has
                assertTrue(Double.parseDouble(m.group(n)) > Double.parseDouble(copy.group(n)), decoder + ", " + n + "-grams: " + run.out());
            }
        }
        BufferedImage map = Pictures.check(run, out.resolve("attention.png"), 0, 0);
        assertTrue(map.getWidth() >= 360 + 36 && map.getHeight() >= 260 + 28, "a column per German word, a row per English word");
    }

    @Test
    void readsTheFirstAlternativeOfASentenceWithoutAnnotations() {
        assertEquals("Mach keinen großen Aufwand.",
                TranslateCommand.sentence("Mach keinen großen Aufwand.; Treiben Sie keinen großen Aufwand. [ugs.]"));
        assertEquals("Er hat es getan.", TranslateCommand.sentence("Er hat {v} es (selbst [geh.]) getan."));
        assertNull(TranslateCommand.sentence("Abendessen {n}; Abendbrot {n}"), "not a sentence");
        assertEquals(List.of("don't", "make", "it", "a", "big", "production", ",", "sam", "!"),
                TranslateCommand.tokens("Don’t make it a big production, Sam!"));
    }

    @Test
    void exportsThePairsAndVocabulariesAPeerTrainsOn(@TempDir Path directory) throws IOException {
        List<TranslateCommand.Sentences> train = List.of(
                new TranslateCommand.Sentences(List.of("ich", "bin", "da", "."), List.of("i'm", "here", ".")),
                new TranslateCommand.Sentences(List.of("bin", "ich", "?"), List.of("am", "i", "?")));
        List<TranslateCommand.Sentences> test = List.of(
                new TranslateCommand.Sentences(List.of("du", "bist", "da", "."), List.of("you're", "here", ".")));
        Vocabulary german = Seq2SeqTraining.vocabulary(train.stream().map(TranslateCommand.Sentences::german).toList(), 2);
        Vocabulary english = Seq2SeqTraining.vocabulary(train.stream().map(TranslateCommand.Sentences::english).toList(), 10);
        Path out = directory.resolve("pairs");
        TranslateCommand.export(out, train, test, german, english);
        assertEquals(List.of("ich bin da .\ti'm here .", "bin ich ?\tam i ?"), Files.readAllLines(out.resolve("train.tsv")));
        assertEquals(List.of("du bist da .\tyou're here ."), Files.readAllLines(out.resolve("heldout.tsv")));
        assertEquals(List.of("<unk>", "<s>", "</s>", "ich", "bin"), Files.readAllLines(out.resolve("de.vocab")));
        assertEquals(english.tokens(), Files.readAllLines(out.resolve("en.vocab")));
        assertEquals(9, english.size());
        try (var files = Files.list(out)) {
            assertEquals(4, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void aBadFlagValueIsOneLine() {
        Run run = RunCommandTest.jrnn("translate", "--vocabulary", "-3");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn translate: --vocabulary must be positive, got -3", run.err().strip());
        run = RunCommandTest.jrnn("translate", "--sample", "1");
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn translate: --sample must be 0 (all) or at least 2, got 1", run.err().strip());
    }
}

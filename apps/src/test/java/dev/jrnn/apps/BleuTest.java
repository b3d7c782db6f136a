package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Corpus BLEU-4 against values worked out by hand. */
class BleuTest {

    private static List<String> words(String s) {
        return Arrays.asList(s.split(" "));
    }

    /**
     * Two sentences. "the cat sat on the mat" against "the cat is on the mat": 1-grams 5/6 (the x2,
     * cat, on, mat), 2-grams 3/5 (the cat, on the, the mat), 3-grams 1/4 (on the mat), 4-grams 0/3.
     * "a b c d" against itself: 4/4, 3/3, 2/2, 1/1. Corpus: 9/10, 6/8, 3/6, 1/4; lengths 10 and
     * 10, no brevity penalty: BLEU = (0.9 * 0.75 * 0.5 * 0.25)^(1/4) = 0.084375^(1/4) = 0.538956...
     */
    @Test
    void sumsClippedMatchesOverTheCorpusBeforeTheGeometricMean() {
        Bleu.Score s = Bleu.corpus(List.of(words("the cat sat on the mat"), words("a b c d")),
                List.of(words("the cat is on the mat"), words("a b c d")));
        assertArrayEquals(new double[] {0.9, 0.75, 0.5, 0.25}, s.precisions(), 1e-12);
        assertEquals(1.0, s.brevityPenalty(), 1e-12);
        assertEquals(0.538956, s.bleu(), 1e-6);
        assertEquals(0.0, Bleu.corpus(List.of(words("the cat sat on the mat")), List.of(words("the cat is on the mat"))).bleu(),
                "no matching 4-gram: no smoothing, BLEU 0");
    }

    /**
     * "the cat" against "the cat is on the mat", with "a b c d" again: 1-grams (2 + 4) / 6,
     * 2-grams (1 + 3) / 4, 3-grams 2/2, 4-grams 1/1, all 1; lengths 6 and 10:
     * BLEU = exp(1 - 10/6) = 0.513417...
     */
    @Test
    void shortHypothesesPayTheBrevityPenalty() {
        Bleu.Score s = Bleu.corpus(List.of(words("the cat"), words("a b c d")),
                List.of(words("the cat is on the mat"), words("a b c d")));
        assertArrayEquals(new double[] {1, 1, 1, 1}, s.precisions(), 1e-12);
        assertEquals(Math.exp(1 - 10 / 6.0), s.brevityPenalty(), 1e-12);
        assertEquals(0.513417, s.bleu(), 1e-6);
    }

    /** Papineni's example: seven "the" against a reference holding "the" twice: unigram precision 2/7. */
    @Test
    void clipsRepeatedWordsToTheirCountInTheReference() {
        Bleu.Score s = Bleu.corpus(List.of(words("the the the the the the the")), List.of(words("the cat is on the mat")));
        assertEquals(2 / 7.0, s.precisions()[0], 1e-12);
        assertEquals(0.0, s.precisions()[1], 1e-12);
    }
}

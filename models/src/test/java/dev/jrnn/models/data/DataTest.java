package dev.jrnn.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.models.nn.Rng;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Vocabularies and padded batches: ids, order, padding, lengths, and what is refused. */
class DataTest {

    private static final List<List<String>> CORPUS = List.of(List.of("b", "a", "c", "a"), List.of("c", "a", "d"));

    @Test
    void vocabulariesPutTheSpecialsFirstThenTheCorpusByFrequencyOrFirstSeen() {
        Vocabulary v = Vocabulary.byFrequency(CORPUS, 2, "<unk>", "<s>", "</s>");
        assertEquals(List.of("<unk>", "<s>", "</s>", "a", "c"), v.tokens());
        assertArrayEquals(new int[] {0, 3, 4, 0}, v.ids(List.of("b", "a", "c", "zz")), "outside the vocabulary: <unk>");
        assertEquals(List.of("a", "</s>"), v.tokens(new int[] {3, 2}));
        assertEquals(2, v.requireId("</s>"));
        assertEquals(5 / 7.0, v.coverage(CORPUS), 1e-12);
        assertEquals(List.of("<unknown>", "b", "a", "c", "d"), Vocabulary.firstSeen(CORPUS, "<unknown>").tokens());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> v.token(5)).getMessage().contains("id 5 is not in the vocabulary [0, 5)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> v.requireId("d")).getMessage().contains("'d' is not in the vocabulary"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Vocabulary.of(List.of("x", "y", "x")))
                .getMessage().contains("'x' is in the vocabulary twice"));
    }

    @Test
    void batchesAreTimeFirstPaddedAndCarryTheLengths() {
        Batches.Tokens t = Batches.tokens(List.of(new int[] {1, 2, 3}, new int[] {4}), 9);
        assertArrayEquals(new int[][] {{1, 4}, {2, 9}, {3, 9}}, t.ids());
        assertArrayEquals(new int[] {3, 1}, t.lengths());
        assertArrayEquals(new int[][] {{5, 6}, {7, -1}}, Batches.labels(List.of(new int[] {5, 7}, new int[] {6}), -1));

        Batches.Features f = Batches.features(List.<float[][]>of(new float[][] {{1, 2}}, new float[][] {{3, 4}, {5, 6}}));
        assertArrayEquals(new int[] {2, 2, 2}, f.x().shape().dims());
        assertArrayEquals(new float[] {1, 2, 3, 4, 0, 0, 5, 6}, f.x().toArray());
        assertArrayEquals(new int[] {1, 2}, f.lengths());

        Batches.Pairs p = Batches.pairs(List.of(new int[] {7, 8}, new int[] {9}), List.of(new int[] {3}, new int[] {4, 5}), 2);
        assertArrayEquals(new int[][] {{7, 9}, {8, 0}}, p.source());
        assertArrayEquals(new int[][] {{3, 4}, {2, 5}, {0, 2}}, p.target(), "EOS after each target");
        assertArrayEquals(new int[] {2, 3}, p.targetLengths());

        assertTrue(assertThrows(IllegalArgumentException.class, () -> Batches.tokens(List.of(new int[] {1}, new int[0]), 0))
                .getMessage().contains("sequence 1 of the batch is empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Batches.features(List.<float[][]>of(new float[][] {{1, 2}, {3}})))
                .getMessage().contains("sequence 0 has a frame of 1 features, not 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Batches.tokens(List.<int[]>of(), 0)).getMessage().contains("at least one"));
    }

    @Test
    void similarLengthsShareABatch() {
        List<String> words = List.of("a", "bb", "ccc", "dd", "e", "fff", "gggg", "h");
        List<List<String>> batches = Batches.bySimilarLength(words, String::length, 3, new Rng(1));
        List<String> all = new ArrayList<>();
        batches.forEach(all::addAll);
        assertEquals(words.stream().sorted().toList(), all.stream().sorted().toList());
        for (List<String> b : batches) {
            int min = b.stream().mapToInt(String::length).min().orElseThrow(), max = b.stream().mapToInt(String::length).max().orElseThrow();
            assertTrue(max - min <= 1, "batch " + b);
        }
    }
}

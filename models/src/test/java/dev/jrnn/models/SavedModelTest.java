package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.SafeTensors;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Optimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Checkpoint#saveModel} and {@link Checkpoint#loadModel}: every topology comes back from the
 * file alone, computing bitwise what the saved model computed; a bad description is an
 * {@link IOException} naming the entry, before anything of the declared size is allocated.
 */
class SavedModelTest {

    @TempDir
    Path dir;

    private static final SplittableRandom RANDOM = new SplittableRandom(3);

    private static int[][] tokens(int steps, int batch, int below) {
        int[][] t = new int[steps][batch];
        for (int[] row : t) {
            for (int n = 0; n < batch; n++) {
                row[n] = RANDOM.nextInt(below);
            }
        }
        return t;
    }

    private static FloatTensor gaussian(int... dims) {
        FloatTensor x = FloatTensor.zeros(dims);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) RANDOM.nextGaussian());
        }
        return x;
    }

    private Module roundTrip(Module model, Map<String, String> info) throws IOException {
        Path file = dir.resolve("model.ckpt");
        Checkpoint.saveModel(file, model, Optimizer.adam(model, 0.01), info);
        Checkpoint.SavedModel saved = Checkpoint.loadModel(file);
        assertEquals(model.getClass(), saved.model().getClass());
        info.forEach((k, v) -> assertEquals(v, saved.info().get(k), k));
        assertEquals(ModelDescription.of(model), ModelDescription.of(saved.model()));
        // the same model as bytes (what a cluster broadcasts): the same description and bitwise the same weights
        Checkpoint.SavedModel fromBytes = Checkpoint.loadModel(Checkpoint.toBytes(model, info), "broadcast");
        assertEquals(ModelDescription.of(model), ModelDescription.of(fromBytes.model()));
        info.forEach((k, v) -> assertEquals(v, fromBytes.info().get(k), k));
        Map<String, FloatTensor> expected = model.stateDict(), actual = fromBytes.model().stateDict();
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, t) -> assertArrayEquals(t.toArray(), actual.get(name).toArray(), name));
        return saved.model();
    }

    @Test
    void everyTopologyComesBackComputingTheSame() throws IOException {
        int[][] words = tokens(7, 3, 20);
        int[] lengths = {7, 4, 1};
        FloatTensor features = gaussian(7, 3, 5);

        try (LanguageModel m = new LanguageModel(CellKind.LSTM, 20, 6, 8, 2, 0.1, 7)) {
            LanguageModel back = (LanguageModel) roundTrip(m, Map.of("alphabet", "abc"));
            assertArrayEquals(m.forward(words, null).logits().toArray(), back.forward(words, null).logits().toArray());
        }
        try (SequenceClassifier m = new SequenceClassifier(20, 6, CellKind.GRU, 8, 2, Direction.BIDIRECTIONAL, 4, 7)
                .pooling(SequenceClassifier.Pooling.MAX)) {
            SequenceClassifier back = (SequenceClassifier) roundTrip(m, Map.of("labels", "a,b,c,d"));
            assertEquals(SequenceClassifier.Pooling.MAX, back.pooling());
            assertArrayEquals(m.logits(words, lengths).toArray(), back.logits(words, lengths).toArray());
        }
        try (SequenceClassifier m = new SequenceClassifier(CellKind.RNN_TANH, 5, 8, 1, Direction.UNIDIRECTIONAL, 3, 7)) {
            SequenceClassifier back = (SequenceClassifier) roundTrip(m, Map.of());
            assertArrayEquals(m.logits(features, lengths).toArray(), back.logits(features, lengths).toArray());
        }
        try (SequenceTagger m = new SequenceTagger(20, 6, CellKind.LSTM, 8, 1, Direction.BIDIRECTIONAL, 5, 7)) {
            SequenceTagger back = (SequenceTagger) roundTrip(m, Map.of());
            assertArrayEquals(m.predict(words, lengths), back.predict(words, lengths));
        }
        try (SequenceTagger m = new SequenceTagger(CellKind.GRU, 5, 8, 2, Direction.UNIDIRECTIONAL, 2, 7)) {
            SequenceTagger back = (SequenceTagger) roundTrip(m, Map.of());
            assertArrayEquals(m.logits(features, lengths).toArray(), back.logits(features, lengths).toArray());
        }
        try (SequenceRegressor m = new SequenceRegressor(CellKind.GRU, 5, 8, 2, 3, 7)) {
            SequenceRegressor back = (SequenceRegressor) roundTrip(m, Map.of("mean", "1.5"));
            assertArrayEquals(m.predict(features).toArray(), back.predict(features).toArray());
        }
        try (Seq2Seq m = new Seq2Seq(CellKind.LSTM, 20, 12, 6, 8, 2, 1, 2, 7).neverEmit(0)) {
            Seq2Seq back = (Seq2Seq) roundTrip(m, Map.of());
            int[][] target = tokens(4, 3, 12);
            int[] targetLengths = {4, 2, 1};
            assertEquals(m.loss(words, lengths, target, targetLengths), back.loss(words, lengths, target, targetLengths));
            assertArrayEquals(m.translate(new int[] {3, 4, 5}, 6, 3), back.translate(new int[] {3, 4, 5}, 6, 3));
            assertArrayEquals(new int[] {0}, back.neverEmitted());
        }
        try (Seq2Seq m = Seq2Seq.overFeatures(CellKind.GRU, 5, 12, 6, 8, 1, 1, 2, 7)) {
            Seq2Seq back = (Seq2Seq) roundTrip(m, Map.of());
            int[][] target = tokens(4, 3, 12);
            int[] targetLengths = {4, 2, 1};
            assertEquals(m.loss(features, lengths, target, targetLengths), back.loss(features, lengths, target, targetLengths));
        }
    }

    @Test
    void theTypedLoadSaysWhatTheFileHolds() throws IOException {
        Path file = dir.resolve("m.ckpt");
        try (SequenceRegressor m = new SequenceRegressor(CellKind.GRU, 2, 3, 1, 1, 7)) {
            Checkpoint.saveModel(file, m, null, Map.of());
        }
        assertInstanceOf(SequenceRegressor.class, Checkpoint.loadModel(file, SequenceRegressor.class));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.loadModel(file, LanguageModel.class));
        assertTrue(e.getMessage().endsWith("a SequenceRegressor, not a LanguageModel"), e.getMessage());
    }

    @Test
    void aBadDescriptionNamesTheEntry() throws IOException {
        Path file = dir.resolve("m.ckpt");
        try (SequenceClassifier m = new SequenceClassifier(50, 4, CellKind.LSTM, 6, 1, Direction.UNIDIRECTIONAL, 3, 7)) {
            Checkpoint.saveModel(file, m, null, Map.of());
        }
        assertRefused(file, d -> d.remove("model"), "no model description");
        assertRefused(file, d -> d.put("model", "Transformer"), "model 'Transformer' is not one jrnn knows");
        assertRefused(file, d -> d.remove("model.hidden"), "the model description has no model.hidden");
        assertRefused(file, d -> d.put("model.cell", "lstn"), "model.cell is 'lstn', expected one of [rnn_tanh, rnn_relu, lstm, gru]");
        assertRefused(file, d -> d.put("model.layers", "-1"), "model.layers is '-1', expected a whole number in [1, 16777216]");
        assertRefused(file, d -> d.put("model.pooling", "mean"), "model.pooling is 'mean'");
        assertRefused(file, d -> d.put("model.heads", "8"), "an entry this jrnn does not know: model.heads");
        // a size the file cannot hold: refused from the file's size, not by allocating it
        assertRefused(file, d -> {
            d.put("model.vocabulary", "16000000");
            d.put("model.embedding", "16000000");
            d.put("model.input", "16000000");
        }, "more than the file holds");
        // a size the file could hold, but not the shapes of its weights
        assertRefused(file, d -> d.put("model.classes", "2"), "head.weight");
        // weights alone, as Checkpoint.save writes them
        Path plain = dir.resolve("plain.ckpt");
        try (SequenceRegressor m = new SequenceRegressor(CellKind.GRU, 2, 3, 1, 1, 7)) {
            Checkpoint.save(plain, m, null, Map.of());
        }
        IOException e = assertThrows(IOException.class, () -> Checkpoint.loadModel(plain));
        assertTrue(e.getMessage().contains("Checkpoint.loadWeights"), e.getMessage());
    }

    private void assertRefused(Path file, Consumer<Map<String, String>> change, String expected) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>(SafeTensors.metadata(file));
        change.accept(metadata);
        Path bad = dir.resolve("bad.ckpt");
        SafeTensors.write(bad, SafeTensors.read(file), metadata);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.loadModel(bad));
        assertTrue(e.getMessage().startsWith(bad + ": ") && e.getMessage().contains(expected),
                "'" + e.getMessage() + "' does not say '" + expected + "'");
        IOException fromBytes = assertThrows(IOException.class, () -> Checkpoint.loadModel(Files.readAllBytes(bad), "broadcast"));
        assertEquals(e.getMessage().replace(bad.toString(), "broadcast"), fromBytes.getMessage());
    }
}

package dev.jrnn.models.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.io.SafeTensors;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Optimizer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dotted names, train/eval, state dicts in and out (a whole PyTorch model among them), and what is refused. */
class ModuleTreeTest {

    @TempDir
    Path temp;

    private static final List<String> RNN = List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0");

    private static List<String> under(String prefix, List<String> names) {
        return names.stream().map(n -> prefix + n).toList();
    }

    @Test
    void everyTopologyNamesItsParametersByTheirPathAsPyTorchWould() {
        try (Seq2Seq s2s = new Seq2Seq(CellKind.LSTM, 9, 8, 3, 4, 1, 1, 2, 7)) {
            List<String> want = new ArrayList<>(List.of("encoder.embedding.weight"));
            want.addAll(under("encoder.rnn.", RNN));
            want.add("decoder.embedding.weight");
            want.addAll(under("decoder.rnn.", RNN));
            want.addAll(List.of("decoder.combine.weight", "decoder.combine.bias", "decoder.out.weight", "decoder.out.bias"));
            assertEquals(want, List.copyOf(s2s.stateDict().keySet()));
            assertEquals(want.size(), s2s.parameters().size());
            assertNotEquals(s2s.stateDict().get("encoder.rnn.weight_ih_l0").get(0, 0),
                    s2s.stateDict().get("decoder.rnn.weight_ih_l0").get(0, 0), "two stacks, two sets of weights");
        }
        try (LanguageModel lm = new LanguageModel(CellKind.GRU, 5, 4, 6, 1, 0.2, 1)) {
            List<String> want = new ArrayList<>(List.of("embedding.weight"));
            want.addAll(under("rnn.", RNN));
            want.addAll(List.of("head.weight", "head.bias"));
            assertEquals(want, List.copyOf(lm.stateDict().keySet()));
            assertEquals(List.of("", "embedding", "rnn", "dropout", "head"), List.copyOf(lm.namedModules().keySet()));
            assertEquals(List.of("dropout.generator"), List.copyOf(lm.randomGenerators().keySet()));
        }
        try (SequenceClassifier c = new SequenceClassifier(CellKind.GRU, 3, 4, 1, Direction.BIDIRECTIONAL, 2, 1);
             SequenceTagger t = new SequenceTagger(10, 3, CellKind.GRU, 4, 1, Direction.UNIDIRECTIONAL, 2, 1);
             SequenceRegressor r = new SequenceRegressor(CellKind.LSTM, 3, 4, 1, 2, 1)) {
            assertTrue(c.stateDict().containsKey("rnn.weight_hh_l0_reverse"), c.stateDict().keySet().toString());
            assertEquals("head.weight", List.copyOf(c.stateDict().keySet()).get(8));
            assertEquals("embedding.weight", List.copyOf(t.stateDict().keySet()).get(0));
            assertEquals(List.of("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight", "head.bias"),
                    List.copyOf(r.stateDict().keySet()));
        }
    }

    @Test
    void trainAndEvalReachEveryModuleAndEvalTurnsDropoutOff() {
        try (SequenceClassifier model = new SequenceClassifier(CellKind.GRU, 3, 4, 2, Direction.UNIDIRECTIONAL, 2, 1)
                .dropout(0.5, 3)) {
            model.recurrent().dropout(0.5, 4).backend("simd");
            assertEquals(List.of("rnn.dropout_l0.generator", "dropout.generator"), List.copyOf(model.randomGenerators().keySet()));
            assertTrue(model.namedModules().values().stream().allMatch(Module::isTraining), "a new model trains");
            model.eval();
            assertTrue(model.namedModules().values().stream().noneMatch(Module::isTraining), model.toString());
            FloatTensor x = FloatTensor.zeros(5, 2, 3);
            x.set(1, 0, 2, 1f);
            x.set(3, 1, 1, -1f);
            Recurrent rnn = model.recurrent();
            FloatTensor first = rnn.forward(x, null, null).y(), second = rnn.forward(x, null, null).y();
            assertArrayEquals(first.toArray(), second.toArray(), "evaluation mode: no inter-layer dropout");
            model.train();
            assertTrue(rnn.namedModules().values().stream().allMatch(Module::isTraining));
            FloatTensor z = model.logits(x, new int[] {5, 4});
            assertArrayEquals(z.toArray(), model.logits(x, new int[] {5, 4}).toArray(), "predictions run in evaluation mode");
            assertTrue(model.isTraining() && rnn.namedModules().values().stream().allMatch(Module::isTraining), "and leave the mode as it was");
            assertFalse(java.util.Arrays.equals(rnn.forward(x, null, null).y().toArray(), rnn.forward(x, null, null).y().toArray()),
                    "training mode: a new dropout mask each forward");
            rnn.dropout(0, 1);
            assertEquals(List.of("dropout.generator"), List.copyOf(model.randomGenerators().keySet()), "no dropout, no generator");
        }
    }

    @Test
    void aStateDictLoadsIntoAFreshModelAndBadOnesAreRefusedWithTheNames() {
        try (LanguageModel a = new LanguageModel(CellKind.LSTM, 6, 3, 5, 2, 0.0, 1);
             LanguageModel b = new LanguageModel(CellKind.LSTM, 6, 3, 5, 2, 0.0, 2);
             LanguageModel wide = new LanguageModel(CellKind.LSTM, 6, 3, 7, 2, 0.0, 2)) {
            int[][] tokens = {{1, 2}, {3, 4}, {5, 0}};
            assertFalse(java.util.Arrays.equals(a.forward(tokens, null).logits().toArray(), b.forward(tokens, null).logits().toArray()));
            assertEquals(new Module.LoadResult(List.of(), List.of()), b.loadStateDict(a.stateDict(), true));
            assertArrayEquals(a.forward(tokens, null).logits().toArray(), b.forward(tokens, null).logits().toArray());

            float before = b.stateDict().get("head.bias").get(0);
            Map<String, FloatTensor> partial = new LinkedHashMap<>(a.stateDict());
            partial.remove("rnn.bias_hh_l1");
            partial.put("head.bais", FloatTensor.zeros(6));
            FloatTensor ones = FloatTensor.zeros(6);
            ones.fill(1f);
            partial.put("head.bias", ones);
            String e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(partial, true)).getMessage();
            assertTrue(e.contains("missing key(s): rnn.bias_hh_l1") && e.contains("unexpected key(s): head.bais"), e);
            assertEquals(before, b.stateDict().get("head.bias").get(0), "a refused load changes nothing");
            assertEquals(new Module.LoadResult(List.of("rnn.bias_hh_l1"), List.of("head.bais")), b.loadStateDict(partial, false));
            assertEquals(1f, b.stateDict().get("head.bias").get(0), "not strict: the rest is loaded");

            String shape = assertThrows(IllegalArgumentException.class, () -> wide.loadStateDict(a.stateDict(), false)).getMessage();
            assertTrue(shape.contains("size mismatch: rnn.weight_ih_l0 is [20, 3] in the state dict but [28, 3] in the model"), shape);
        }
    }

    @Test
    void duplicateNamesAreRefusedByTheTreeTheOptimizerAndTheCheckpointWriter() {
        Module m = new Module() {
            {
                register("w", new Parameter("w", 2));
                assertTrue(assertThrows(IllegalArgumentException.class, () -> register("w", new Linear(2, 2, 1)))
                        .getMessage().contains("already has something named 'w'"));
                assertTrue(assertThrows(IllegalArgumentException.class, () -> register("a.b", new Parameter("x", 1)))
                        .getMessage().contains("is not an identifier"));
            }
        };
        assertEquals(List.of("w"), List.copyOf(m.stateDict().keySet()));

        Linear shared = new Linear(2, 2, 1);
        Module twice = new Module() {
            {
                register("first", shared);
                register("second", shared);
            }
        };
        assertTrue(assertThrows(IllegalStateException.class, twice::namedParameters).getMessage()
                .contains("the module at 'second' is also at 'first'"));

        try (Seq2Seq s2s = new Seq2Seq(CellKind.GRU, 5, 5, 2, 3, 1, 1, 2, 1)) {
            String e = assertThrows(IllegalArgumentException.class, () -> Optimizer.adam(s2s.parameters(), 0.1)).getMessage();
            assertTrue(e.contains("two parameters are named 'weight'"), e); // the embeddings' local names
            Parameter p = s2s.parameters().get(0);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(Map.of("a", p, "b", p), 0.1, 0))
                    .getMessage().contains("is the same tensor as"));
            Linear other = new Linear(3, 5, 1);
            Optimizer wrong = Optimizer.adam(other, 0.1); // "weight", "bias": names the model does not have
            String c = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoint.save(temp.resolve("x.safetensors"), s2s, wrong, Map.of())).getMessage();
            assertTrue(c.contains("the optimizer's parameter 'weight' is not in the model"), c);
            String meta = assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(temp.resolve("y.safetensors"),
                    s2s, Optimizer.adam(s2s, 0.1), Map.of("steps", "3"))).getMessage();
            assertTrue(meta.contains("the metadata key 'steps' twice"), meta);
        }
    }

    /**
     * PyTorch 1.13's {@code Embedding(11, 5) + LSTM(5, 7, num_layers=2) + Linear(7, 11)} (an
     * {@code nn.Module} with the children embedding, rnn and head; make_module_fixtures.py): its
     * state_dict, saved as safetensors under its own names, loads strictly into jrnn's
     * LanguageModel, which then gives PyTorch's logits, final states, loss and gradients.
     */
    @Test
    void aWholePyTorchModelLoadsAndGivesPyTorchsOutputsAndGradients() throws IOException, URISyntaxException {
        Map<String, FloatTensor> weights = SafeTensors.read(resource("lstm_lm.safetensors"));
        Map<String, FloatTensor> io = SafeTensors.read(resource("lstm_lm_io.safetensors"));
        try (LanguageModel lm = new LanguageModel(CellKind.LSTM, 11, 5, 7, 2, 0.0, 99).backend("reference")) {
            assertEquals(List.copyOf(weights.keySet()), List.copyOf(lm.stateDict().keySet()), "PyTorch's names, PyTorch's order");
            lm.loadStateDict(weights, true);
            int[][] tokens = ids(io.get("tokens")), targets = ids(io.get("targets"));
            LanguageModel.Output out = lm.forward(tokens, null);
            close("logits", io.get("logits"), out.logits());
            close("h_n", io.get("h_n"), out.state().h());
            close("c_n", io.get("c_n"), out.state().c());
            Optimizer none = Optimizer.sgd(lm, 0, 0); // a step that leaves the weights and the gradients as they are
            double loss = lm.trainStep(tokens, targets, null, none, 1e9).loss();
            assertEquals(io.get("loss").get(0), loss, 1e-5);
            lm.namedParameters().forEach((name, p) -> close("grad." + name, io.get("grad." + name), p.grad()));
        }
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(ModuleTreeTest.class.getResource("/dev/jrnn/models/pytorch/" + name).toURI());
    }

    private static int[][] ids(FloatTensor t) {
        int[][] out = new int[t.dim(0)][t.dim(1)];
        for (int i = 0; i < out.length; i++) {
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = (int) t.get(i, j);
            }
        }
        return out;
    }

    private static void close(String what, FloatTensor want, FloatTensor got) {
        assertEquals(want.shape(), got.shape(), what);
        float[] w = want.toArray(), g = got.toArray();
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 1e-5, what + "[" + i + "]");
        }
    }

    @Test
    void rngDrawsWhatSplittableRandomDrawsAndItsStateRoundTrips() {
        Rng rng = new Rng(42);
        SplittableRandom reference = new SplittableRandom(42);
        for (int i = 0; i < 1000; i++) {
            assertEquals(reference.nextDouble(), rng.nextDouble());
            int bound = 1 + i % 37;
            assertEquals(reference.nextInt(bound), rng.nextInt(bound));
        }
        long saved = rng.state();
        double next = rng.nextDouble();
        Rng restored = new Rng(0);
        restored.state(saved);
        assertEquals(next, restored.nextDouble());
    }
}

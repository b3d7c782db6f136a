package dev.jrnn.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.nn.Module;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resuming from a checkpoint continues exactly like a run that never stopped; progress lines and loss curves. */
class CheckpointTest {

    @TempDir
    Path temp;

    private static int[][] chunk(int c, int offset) {
        int[][] tokens = new int[9][4];
        for (int t = 0; t < 9; t++) {
            for (int n = 0; n < 4; n++) {
                tokens[t][n] = ((c * 8 + t + offset + n * 3) * 7 / 3) % 5;
            }
        }
        return tokens;
    }

    private static void train(LanguageModel lm, Optimizer opt, int from, int to) {
        for (int c = from; c < to; c++) {
            opt.learningRate(LearningRate.warmupCosine(0.02, 3, 20).at(c));
            lm.trainStep(chunk(c, 0), chunk(c, 1), null, opt, 1.0);
        }
    }

    @Test
    void resumingGivesBitwiseTheUninterruptedRun() throws IOException {
        for (Function<Module, Optimizer> make : List.<Function<Module, Optimizer>>of(
                ps -> Optimizer.adamW(ps, 0.02, 0.01), ps -> Optimizer.sgd(ps, 0.1, 0.9))) {
            LanguageModel straight = new LanguageModel(CellKind.GRU, 5, 4, 8, 2, 0.0, 1).backend("reference");
            Optimizer o1 = make.apply(straight);
            train(straight, o1, 0, 20);

            LanguageModel first = new LanguageModel(CellKind.GRU, 5, 4, 8, 2, 0.0, 1).backend("reference");
            Optimizer o2 = make.apply(first);
            train(first, o2, 0, 10);
            Path file = temp.resolve("ckpt.safetensors");
            Checkpoint.save(file, first, o2, Map.of("note", "after 10"));

            LanguageModel resumed = new LanguageModel(CellKind.GRU, 5, 4, 8, 2, 0.0, 99).backend("reference");
            Optimizer o3 = make.apply(resumed);
            Map<String, String> info = Checkpoint.load(file, resumed, o3);
            assertEquals("after 10", info.get("note"));
            assertEquals(10, o3.steps());
            train(resumed, o3, 10, 20);
            for (int p = 0; p < straight.parameters().size(); p++) {
                assertArrayEquals(straight.parameters().get(p).values(), resumed.parameters().get(p).values(),
                        straight.parameters().get(p).name());
            }
            straight.close();
            first.close();
            resumed.close();
        }
    }

    /** Token sequences of lengths 3..7 and a label (is the first token above 2?), for a classifier to fit. */
    static List<int[]> sequences(int count) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        List<int[]> out = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] s = new int[4 + random.nextInt(5)]; // the last element is the label
            for (int t = 0; t < s.length - 1; t++) {
                s[t] = random.nextInt(6);
            }
            s[s.length - 1] = s[0] > 2 ? 1 : 0;
            out.add(s);
        }
        return out;
    }

    private static dev.jrnn.models.SequenceClassifier classifier(long seed) {
        dev.jrnn.models.SequenceClassifier model = new dev.jrnn.models.SequenceClassifier(6, 4, CellKind.GRU, 8, 2,
                dev.jrnn.core.rnn.Direction.UNIDIRECTIONAL, 2, seed).dropout(0.5, seed + 1).backend("reference");
        model.recurrent().dropout(0.3, seed + 2); // inter-layer dropout: a generator inside the recurrent stack
        return model;
    }

    /**
     * Fits the classifier (dropout on the head's input and between its layers, shuffled batches,
     * word dropout from the loop's generator) for {@code steps}, checkpointing every 7 steps; if
     * {@code crashAt} is reached, the step throws before doing anything, as a killed process would.
     */
    private static Trainer.History fit(dev.jrnn.models.SequenceClassifier model, Optimizer opt, Path file, long steps,
                                       long crashAt, boolean resume) throws IOException {
        return fit(model, opt, file, steps, crashAt, resume, false);
    }

    private static Trainer.History fit(dev.jrnn.models.SequenceClassifier model, Optimizer opt, Path file, long steps,
                                       long crashAt, boolean resume, boolean skipADropoutDraw) throws IOException {
        List<int[]> data = sequences(45);
        long[] at = {opt.steps()};
        Trainer trainer = new Trainer(opt, LearningRate.warmupCosine(0.01, 5, steps), steps).seed(17).checkpoints(7, file, model);
        if (resume) {
            trainer.resume(file);
            at[0] = opt.steps();
            if (skipADropoutDraw) {
                model.randomGenerators().get("dropout.generator").nextDouble();
            }
        }
        return trainer.fit(data, 10, batch -> batch, batch -> {
            if (at[0]++ == crashAt) {
                throw new IllegalStateException("killed");
            }
            List<int[]> tokens = batch.stream().map(s -> java.util.Arrays.copyOf(s, s.length - 1)).toList();
            dev.jrnn.models.data.Batches.Tokens b = dev.jrnn.models.data.Batches.tokens(tokens, 0);
            for (int[] row : b.ids()) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = trainer.random().nextDouble() < 0.1 ? 0 : row[i];
                }
            }
            int[] labels = batch.stream().mapToInt(s -> s[s.length - 1]).toArray();
            return model.trainStep(b.ids(), b.lengths(), labels, opt, 1.0);
        });
    }

    /**
     * The test: N steps with dropout, a checkpoint, a fresh process (model, optimizer and
     * loop built anew from other seeds) resumes and trains M more; every weight is bitwise the
     * uninterrupted N+M run's. N = 14 ends inside an epoch (5 batches a epoch), so the batch order
     * must be drawn again too. On the reference backend: simd's vectorized exp and tanh may differ
     * by an ulp before and after the JIT compiles them, which a bitwise comparison would see.
     */
    @Test
    void resumingWithDropoutAndShuffledBatchesGivesBitwiseTheUninterruptedRun() throws IOException {
        long total = 23;
        try (var straight = classifier(1); var first = classifier(1); var resumed = classifier(50); var shifted = classifier(50)) {
            Optimizer o1 = Optimizer.adam(straight, 0.01);
            Trainer.History uninterrupted = fit(straight, o1, temp.resolve("straight.safetensors"), total, -1, false);
            Path file = temp.resolve("run.safetensors");
            Optimizer o2 = Optimizer.adam(first, 0.01);
            assertThrows(IllegalStateException.class, () -> fit(first, o2, file, total, 14, false));
            Files.copy(file, temp.resolve("at14.safetensors"));
            Optimizer o3 = Optimizer.adam(resumed, 0.01);
            Trainer.History rest = fit(resumed, o3, file, total, -1, true);
            assertEquals(14, rest.training().get(0)[0] - 1, "resumed after the last checkpoint, step 14");
            assertEquals(uninterrupted.lastTraining(), rest.lastTraining());
            straight.stateDict().forEach((name, t) -> assertArrayEquals(t.toArray(), resumed.stateDict().get(name).toArray(), name));
            straight.randomGenerators().forEach((name, g) -> assertEquals(g.state(), resumed.randomGenerators().get(name).state(), name));

            // one dropout draw out of step and the weights differ: the comparison can fail
            Optimizer o4 = Optimizer.adam(shifted, 0.01);
            Path copy = temp.resolve("copy.safetensors");
            Files.copy(temp.resolve("at14.safetensors"), copy);
            fit(shifted, o4, copy, total, -1, true, true);
            assertTrue(!java.util.Arrays.equals(shifted.stateDict().get("head.weight").toArray(),
                    straight.stateDict().get("head.weight").toArray()), "other dropout masks, other weights");
        }
    }

    @Test
    void aCheckpointOfAnotherModelIsRefused() throws IOException {
        try (LanguageModel small = new LanguageModel(CellKind.GRU, 5, 4, 8, 1, 0.0, 1);
             LanguageModel big = new LanguageModel(CellKind.GRU, 5, 4, 16, 1, 0.0, 1)) {
            Path file = temp.resolve("small.safetensors");
            Checkpoint.save(file, small, Optimizer.adam(small, 0.1), Map.of());
            IOException e = assertThrows(IOException.class,
                    () -> Checkpoint.load(file, big, Optimizer.adam(big, 0.1)));
            assertTrue(e.getMessage().contains("size mismatch: rnn.weight_ih_l0 is [24, 4] in the state dict but [48, 4]"), e.getMessage());
        }
    }

    /** A checkpoint of the old format (whose names repeated in a Seq2Seq) is refused with the reason, not loaded wrong. */
    @Test
    void anOldFormatCheckpointIsRefusedWithTheReason() throws IOException {
        try (LanguageModel lm = new LanguageModel(CellKind.GRU, 5, 4, 8, 1, 0.0, 1)) {
            Path old = temp.resolve("old.safetensors");
            dev.jrnn.models.io.SafeTensors.write(old, lm.stateDict(), Map.of("format", "jrnn-checkpoint-1", "steps", "3"));
            IOException e = assertThrows(IOException.class, () -> Checkpoint.loadWeights(old, lm));
            assertTrue(e.getMessage().contains("a checkpoint of an older jrnn (jrnn-checkpoint-1)"), e.getMessage());
            Path none = temp.resolve("none.safetensors");
            dev.jrnn.models.io.SafeTensors.write(none, lm.stateDict(), Map.of());
            assertTrue(assertThrows(IOException.class, () -> Checkpoint.load(none, lm, Optimizer.adam(lm, 0.1)))
                    .getMessage().contains("not a jrnn checkpoint (format null)"));
        }
    }

    @Test
    void progressLinesAndLossHistoryAsCsv() throws IOException {
        long[] now = {0};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream sink = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Progress progress = new Progress(100, "tokens", sink::println, () -> now[0], Duration.ofSeconds(1));
        for (int step = 1; step <= 100; step++) {
            now[0] += 250_000_000L; // 0.25 s per step
            progress.update(step, 2.0, 50);
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(25, lines.size(), "one line a second (the last is one)");
        assertEquals("step 4/100 (4%)  loss 2.0000  200 tokens/s  elapsed 0:01  left 0:24", lines.get(0));
        assertEquals("step 100/100 (100%)  loss 2.0000  200 tokens/s  elapsed 0:25  left 0:00", lines.get(24));

        Path csv = temp.resolve("loss.csv");
        new Trainer.History(List.of(new double[] {1, 2.5}, new double[] {2, Double.NaN}), List.of(new double[] {2, 1.75}),
                List.of(), 1.75, 2, 0).writeCsv(csv);
        assertEquals(List.of("series,step,loss", "training,1,2.5", "training,2,NaN", "validation,2,1.75"), Files.readAllLines(csv));
        try (var files = Files.list(temp)) {
            assertEquals(List.of(csv), files.toList(), "no temporary file left beside it");
        }
    }
}

package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.Use;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.core.testing.Tensors;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Optimizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The serving contract each model's javadoc states: inference keeps nothing in the model, so four
 * threads predicting on one shared, trained model get exactly what one thread gets, and training
 * afterwards continues exactly as if nothing had predicted.
 */
class ServingTest {

    static final int THREADS = 4, INPUTS = 12, ROUNDS = 6;

    /** A model of one topology: one training step, and a prediction per input as floats. */
    interface Subject extends AutoCloseable {
        Module model();

        double trainStep(Optimizer optimizer);

        float[] predict(int input);

        Recurrent[] recurrents();

        @Override
        default void close() {
            for (Recurrent r : recurrents()) {
                r.close();
            }
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String backend : List.of("reference", "simd", "onednn")) {
            for (String topology : List.of("classifier", "tagger", "regressor", "language model", "seq2seq")) {
                out.add(Arguments.of(backend, topology));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void fourThreadsPredictOnOneSharedModelAsOneThreadDoes(String backend, String topology) throws Exception {
        Assumptions.assumeTrue(Backends.selector().availability(backend).available(), backend + " is not available here");
        try (Subject served = subject(topology, backend); Subject twin = subject(topology, backend)) {
            Optimizer optimizer = Optimizer.adam(served.model(), 1e-2), twinOptimizer = Optimizer.adam(twin.model(), 1e-2);
            assertEquals(served.trainStep(optimizer), twin.trainStep(twinOptimizer));

            float[][] expected = new float[INPUTS][];
            for (int i = 0; i < INPUTS; i++) {
                expected[i] = served.predict(i);
            }
            CyclicBarrier start = new CyclicBarrier(THREADS);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int thread = 0; thread < THREADS; thread++) {
                    int seed = thread;
                    done.add(pool.submit(() -> {
                        start.await();
                        SplittableRandom order = new SplittableRandom(seed);
                        for (int k = 0; k < ROUNDS * INPUTS; k++) {
                            int i = order.nextInt(INPUTS);
                            assertArrayEquals(expected[i], served.predict(i), "input " + i + " predicted on thread " + seed);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }

            assertTrue(served.model().isTraining(), "predicting must not change the model's mode");
            assertEquals(twin.trainStep(twinOptimizer), served.trainStep(optimizer),
                    "the training step after the predictions differs from the twin's, which never predicted");
            assertArrayEquals(twin.predict(3), served.predict(3));
        }
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void predictionsHoldNoTrainingForward(String backend, String topology) throws Exception {
        Assumptions.assumeTrue(Backends.selector().availability(backend).available(), backend + " is not available here");
        try (Subject s = subject(topology, backend)) {
            s.predict(0);
            for (Recurrent r : s.recurrents()) {
                assertNull(r.backendName(Use.TRAINING), "a prediction prepared a training stack");
                assertEquals(backend, r.backendName(Use.INFERENCE));
                FloatTensor dy = FloatTensor.zeros(1, 1, r.architecture().hiddenSize() * r.architecture().directions());
                assertThrows(IllegalStateException.class, () -> r.backward(dy, null, null, null, null));
            }
        }
    }

    // --- the five models, small, with dropout where they have it -------------------------------

    static Subject subject(String topology, String backend) {
        return switch (topology) {
            case "classifier" -> classifier(backend);
            case "tagger" -> tagger(backend);
            case "regressor" -> regressor(backend);
            case "language model" -> languageModel(backend);
            case "seq2seq" -> seq2seq(backend);
            default -> throw new IllegalArgumentException(topology);
        };
    }

    /** Token sequences {@code [T][N]} for input {@code i}: T and N vary with i; lengths in {@code lengths}. */
    static int[][] tokens(int i, int vocabulary, int[] lengthsOut) {
        SplittableRandom random = new SplittableRandom(100 + i);
        int steps = 3 + i % 7, batch = lengthsOut == null ? 1 + i % 3 : lengthsOut.length;
        int[][] out = new int[steps][batch];
        for (int[] row : out) {
            for (int n = 0; n < batch; n++) {
                row[n] = random.nextInt(vocabulary);
            }
        }
        if (lengthsOut != null) {
            for (int n = 0; n < batch; n++) {
                lengthsOut[n] = n == 0 ? steps : 1 + random.nextInt(steps);
            }
        }
        return out;
    }

    static int[] lengths(int i) {
        return new int[1 + i % 3];
    }

    static Subject classifier(String backend) {
        SequenceClassifier m = new SequenceClassifier(20, 6, CellKind.GRU, 8, 2, Direction.BIDIRECTIONAL, 3, 1)
                .backend(backend).dropout(0.3, 2).pooling(SequenceClassifier.Pooling.MAX);
        m.recurrent().dropout(0.2, 3);
        return new Subject() {
            public Module model() {
                return m;
            }

            public double trainStep(Optimizer optimizer) {
                int[] lengths = {7, 3, 5, 1};
                return m.trainStep(tokens(5, 20, lengths), lengths, new int[] {0, 2, 1, 2}, optimizer, 1.0);
            }

            public float[] predict(int input) {
                int[] lengths = lengths(input);
                return m.logits(tokens(input, 20, lengths), lengths).toArray();
            }

            public Recurrent[] recurrents() {
                return new Recurrent[] {m.recurrent()};
            }
        };
    }

    static Subject tagger(String backend) {
        SequenceTagger m = new SequenceTagger(20, 6, CellKind.LSTM, 8, 1, Direction.BIDIRECTIONAL, 4, 4).backend(backend);
        return new Subject() {
            public Module model() {
                return m;
            }

            public double trainStep(Optimizer optimizer) {
                int[] lengths = {6, 2};
                int[][] tokens = tokens(4, 20, lengths), labels = new int[tokens.length][2];
                for (int t = 0; t < labels.length; t++) {
                    labels[t][0] = tokens[t][0] % 4;
                    labels[t][1] = tokens[t][1] % 4;
                }
                return m.trainStep(tokens, lengths, labels, optimizer, 1.0);
            }

            public float[] predict(int input) {
                int[] lengths = lengths(input);
                int[][] labels = m.predict(tokens(input, 20, lengths), lengths);
                return ints(Arrays.stream(labels).flatMapToInt(Arrays::stream).toArray());
            }

            public Recurrent[] recurrents() {
                return new Recurrent[] {recurrentOf(m)};
            }
        };
    }

    static Subject regressor(String backend) {
        SequenceRegressor m = new SequenceRegressor(CellKind.LSTM, 3, 8, 2, 2, 5).backend(backend);
        IntFunction<FloatTensor> x = i -> Tensors.uniform(Shape.of(2 + i % 9, 1 + i % 4, 3), new SplittableRandom(i));
        return new Subject() {
            public Module model() {
                return m;
            }

            public double trainStep(Optimizer optimizer) {
                return m.trainStep(x.apply(5), Tensors.uniform(Shape.of(2, 2), new SplittableRandom(9)), optimizer, 1.0);
            }

            public float[] predict(int input) {
                return m.predict(x.apply(input)).toArray();
            }

            public Recurrent[] recurrents() {
                return new Recurrent[] {recurrentOf(m)};
            }
        };
    }

    static Subject languageModel(String backend) {
        LanguageModel m = new LanguageModel(CellKind.LSTM, 15, 6, 8, 2, 0.25, 6).backend(backend);
        return new Subject() {
            public Module model() {
                return m;
            }

            public double trainStep(Optimizer optimizer) {
                int[][] in = tokens(1, 15, new int[3]), target = tokens(2, 15, new int[3]);
                return m.trainStep(Arrays.copyOf(in, 4), Arrays.copyOf(target, 4), null, optimizer, 1.0).loss();
            }

            public float[] predict(int input) {
                int[][] tokens = tokens(input, 15, null);
                LanguageModel.Output out = m.forward(tokens, null);
                float[] logits = out.logits().toArray(), h = out.state().h().toArray();
                int[] prompt = {input % 15, 3};
                float[] beam = ints(m.beamSearch(prompt, 4, 3));
                float[] all = Arrays.copyOf(logits, logits.length + h.length + beam.length + 1);
                System.arraycopy(h, 0, all, logits.length, h.length);
                System.arraycopy(beam, 0, all, logits.length + h.length, beam.length);
                all[all.length - 1] = (float) m.logProbability(prompt, new int[] {1, 2});
                return all;
            }

            public Recurrent[] recurrents() {
                return new Recurrent[] {recurrentOf(m)};
            }
        };
    }

    static Subject seq2seq(String backend) {
        Seq2Seq m = new Seq2Seq(CellKind.GRU, 20, 12, 6, 8, 1, 0, 1, 7).backend(backend);
        return new Subject() {
            public Module model() {
                return m;
            }

            public double trainStep(Optimizer optimizer) {
                int[] sourceLengths = {5, 3}, targetLengths = {4, 2};
                int[][] source = tokens(6, 20, sourceLengths), target = {{3, 4}, {5, 1}, {6, 0}, {1, 0}};
                return m.trainStep(source, sourceLengths, target, targetLengths, optimizer, 1.0);
            }

            public float[] predict(int input) {
                int[] source = Arrays.stream(tokens(input, 20, null)).mapToInt(row -> row[0]).toArray();
                float[] greedy = ints(m.translate(source, 6)), beam = ints(m.translate(source, 6, 3));
                float[] all = Arrays.copyOf(greedy, greedy.length + beam.length + 1);
                System.arraycopy(beam, 0, all, greedy.length, beam.length);
                all[all.length - 1] = (float) m.logProbability(source, new int[] {3, 4});
                return all;
            }

            public Recurrent[] recurrents() {
                return m.namedModules().values().stream().filter(Recurrent.class::isInstance)
                        .map(Recurrent.class::cast).toArray(Recurrent[]::new);
            }
        };
    }

    static Recurrent recurrentOf(Module m) {
        return m.namedModules().values().stream().filter(Recurrent.class::isInstance).map(Recurrent.class::cast)
                .findFirst().orElseThrow();
    }

    static float[] ints(int[] values) {
        float[] out = new float[values.length + 1];
        out[0] = values.length; // so that different lengths differ
        for (int i = 0; i < values.length; i++) {
            out[i + 1] = values[i];
        }
        return out;
    }
}

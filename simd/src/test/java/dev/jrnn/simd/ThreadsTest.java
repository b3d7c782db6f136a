package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Results are bitwise identical for 1 and 2 threads, and concurrent callers of one prepared stack agree.
 * <p>
 * One thing outside our code moves the last bit: JDK 25's lane-wise {@code EXP} and {@code TANH}
 * run lane by lane through {@link Math} until C2 compiles the calling cell, and through the bundled
 * vector math library (SVML) after, and the two differ by an ulp. So every comparison here accepts
 * exactly the results of one JIT state: a result must equal, bit for bit, the reference computed
 * before it or the reference computed after it (the compilation can fall between them only once).
 */
class ThreadsTest {

    private static final WorkerPool POOL = new WorkerPool(1); // two parties at most

    static List<RnnDescriptor> shapes() {
        return List.of(
                // unidirectional, large enough per step to split hidden units between threads
                new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 5, 3, 40, 150),
                new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 4, 1, 20, 600), // batch 1: the row kernel
                new RnnDescriptor(CellKind.RNN_TANH, 2, Direction.UNIDIRECTIONAL, 3, 7, 33, 260),
                // bidirectional: one direction per thread
                new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 6, 2, 9, 17),
                new RnnDescriptor(CellKind.RNN_RELU, 3, Direction.BIDIRECTIONAL, 3, 4, 5, 33));
    }

    private record Result(float[] y, float[] hn, float[] dx, float[] dh0, Map<String, float[]> dw) {
        boolean sameBits(Result o) {
            return java.util.Arrays.equals(y, o.y) && java.util.Arrays.equals(hn, o.hn) && java.util.Arrays.equals(dx, o.dx)
                    && java.util.Arrays.equals(dh0, o.dh0) && dw.keySet().equals(o.dw.keySet())
                    && dw.keySet().stream().allMatch(k -> java.util.Arrays.equals(dw.get(k), o.dw.get(k)));
        }
    }

    private static Result run(RnnDescriptor d, int threads, int expectedParties) {
        return run(d, null, threads, expectedParties);
    }

    private static Result run(RnnDescriptor d, int[] lengths, int threads, int expectedParties) {
        SplittableRandom random = new SplittableRandom(11);
        RnnWeights w = RnnWeights.uniform(d, 3);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), dy = Tensors.uniform(d.dstLayerShape(), random);
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), hn = FloatTensor.zeros(d.iterShape());
        FloatTensor dx = FloatTensor.zeros(d.srcLayerShape()), dh0 = FloatTensor.zeros(d.iterShape());
        RnnWeights dw = RnnWeights.zeros(d);
        try (SimdRnn rnn = new SimdRnn(d.architecture(), w, POOL, threads); Workspace ws = rnn.newWorkspace()) {
            assertEquals(expectedParties, rnn.parties(d.batch(), d.steps() * d.batch()), "threads used by " + d);
            rnn.forward(Mode.TRAINING, RnnForward.of(x, y).withFinalState(hn, null).withLengths(lengths), ws);
            rnn.backward(RnnBackward.of(dy, dx, dw).withInitialStateGradients(dh0, null), ws);
        }
        Map<String, float[]> grads = new java.util.TreeMap<>();
        dw.named().forEach((name, t) -> grads.put(name, t.toArray()));
        return new Result(y.toArray(), hn.toArray(), dx.toArray(), dh0.toArray(), grads);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void oneAndTwoThreadsGiveIdenticalBits(RnnDescriptor d) {
        Result one = run(d, 1, 1), two = run(d, 2, 2), oneAgain = run(d, 1, 1);
        Result same = one.sameBits(two) ? one : oneAgain; // the one-thread run in the same JIT state as the two-thread run
        assertArrayEquals(same.y(), two.y(), "dstLayer");
        assertArrayEquals(same.hn(), two.hn(), "dstIter");
        assertArrayEquals(same.dx(), two.dx(), "diffSrcLayer");
        assertArrayEquals(same.dh0(), two.dh0(), "diffSrcIter");
        same.dw().forEach((name, g) -> assertArrayEquals(g, two.dw().get(name), name));
    }

    /** Variable lengths shrink the batch step by step; the partition of units stays fixed, so the bits do too. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void oneAndTwoThreadsGiveIdenticalBitsWithVariableLengths(RnnDescriptor d) {
        if (d.batch() < 2) {
            return;
        }
        int[] lengths = dev.jrnn.core.testing.BackendConformance.mixedLengths(d.steps(), d.batch(), 5);
        Result one = run(d, lengths, 1, 1), two = run(d, lengths, 2, 2), oneAgain = run(d, lengths, 1, 1);
        Result same = one.sameBits(two) ? one : oneAgain;
        assertArrayEquals(same.y(), two.y(), "dstLayer");
        assertArrayEquals(same.hn(), two.hn(), "dstIter");
        assertArrayEquals(same.dx(), two.dx(), "diffSrcLayer");
        assertArrayEquals(same.dh0(), two.dh0(), "diffSrcIter");
        same.dw().forEach((name, g) -> assertArrayEquals(g, two.dw().get(name), name));
    }

    static List<RnnDescriptor> rowSplitShapes() {
        return List.of( // unidirectional, at least two register tiles of sequences: the parties may split them
                new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 5, 9, 40, 150),
                new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 4, 16, 20, 300),
                new RnnDescriptor(CellKind.RNN_TANH, 2, Direction.UNIDIRECTIONAL, 3, 13, 33, 260),
                // batch 1, long enough to split by units (the row kernel on each party's slice; rows fall back to units)
                new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 6, 1, 33, 300),
                new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 4, 1, 20, 600));
    }

    private static Result run(RnnDescriptor d, int[] lengths, int split) {
        SplittableRandom random = new SplittableRandom(11);
        RnnWeights w = RnnWeights.uniform(d, 3);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), dy = Tensors.uniform(d.dstLayerShape(), random);
        FloatTensor h0 = Tensors.uniform(d.iterShape(), random), c0 = Tensors.uniform(d.iterShape(), random);
        FloatTensor dhn = Tensors.uniform(d.iterShape(), random);
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), hn = FloatTensor.zeros(d.iterShape());
        FloatTensor dx = FloatTensor.zeros(d.srcLayerShape()), dh0 = FloatTensor.zeros(d.iterShape());
        boolean lstm = d.cell() == CellKind.LSTM;
        RnnWeights dw = RnnWeights.zeros(d);
        try (SimdRnn rnn = new SimdRnn(d.architecture(), w, POOL, 2); Workspace ws = rnn.newWorkspace()) {
            rnn.forceSplit(split);
            rnn.forward(Mode.TRAINING, new RnnForward(x, h0, lstm ? c0 : null, y, hn, null, lengths), ws);
            rnn.backward(new RnnBackward(dy, dhn, null, dx, dh0, null, dw), ws);
        }
        Map<String, float[]> grads = new java.util.TreeMap<>();
        dw.named().forEach((name, t) -> grads.put(name, t.toArray()));
        return new Result(y.toArray(), hn.toArray(), dx.toArray(), dh0.toArray(), grads);
    }

    /** One thread, two splitting the hidden units and two splitting the sequences: the same bits, with and without lengths. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rowSplitShapes")
    void everySplitGivesIdenticalBits(RnnDescriptor d) {
        for (int[] lengths : new int[][] {null, dev.jrnn.core.testing.BackendConformance.mixedLengths(d.steps(), d.batch(), 7)}) {
            Result one = run(d, lengths, SimdRnn.ONE_THREAD);
            for (int split : new int[] {SimdRnn.SPLIT_UNITS, SimdRnn.SPLIT_ROWS}) {
                Result two = run(d, lengths, split), oneAgain = run(d, lengths, SimdRnn.ONE_THREAD);
                Result same = one.sameBits(two) ? one : oneAgain;
                String what = d + (lengths == null ? "" : " with lengths") + ", split " + split;
                assertArrayEquals(same.y(), two.y(), "dstLayer " + what);
                assertArrayEquals(same.hn(), two.hn(), "dstIter " + what);
                assertArrayEquals(same.dx(), two.dx(), "diffSrcLayer " + what);
                assertArrayEquals(same.dh0(), two.dh0(), "diffSrcIter " + what);
                same.dw().forEach((name, g) -> assertArrayEquals(g, two.dw().get(name), name + " " + what));
            }
        }
    }

    @Test
    void smallBatchOneStacksStayOnOneThread() {
        RnnDescriptor w1 = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 50, 1, 64, 128);
        try (SimdRnn rnn = new SimdRnn(w1.architecture(), RnnWeights.uniform(w1, 1), POOL, 2)) {
            assertEquals(1, rnn.parties(w1.batch(), w1.steps()));
        }
    }

    /** A batch-1 stack large enough to split: a long call may use both threads, a call of one step (a stream's) never. */
    @Test
    void batchOneSplitsOnlyCallsLongEnoughToPayTheWakeUp() {
        RnnDescriptor w2 = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 100, 1, 256, 256);
        try (SimdRnn rnn = new SimdRnn(w2.architecture(), RnnWeights.uniform(w2, 1), POOL, 2)) {
            assertEquals(2, rnn.parties(1, 100));
            assertEquals(1, rnn.parties(1, 1));
        }
    }

    @Test
    void concurrentCallersOfOnePreparedStackAgree() throws Exception {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 2, Direction.UNIDIRECTIONAL, 8, 2, 16, 200);
        RnnWeights w = RnnWeights.uniform(d, 5);
        try (SimdRnn rnn = new SimdRnn(d.architecture(), w, POOL, 2); ExecutorService callers = Executors.newFixedThreadPool(4)) {
            FloatTensor warm = Tensors.uniform(d.srcLayerShape(), new SplittableRandom(99));
            for (int i = 0; i < 500; i++) { // so that C2 most likely compiles the cells before the references, not during a call
                rnn.forward(warm, null, null);
            }
            List<FloatTensor> inputs = new java.util.ArrayList<>();
            List<float[]> alone = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                FloatTensor x = Tensors.uniform(d.srcLayerShape(), new SplittableRandom(i));
                inputs.add(x);
                alone.add(rnn.forward(x, null, null).output().toArray());
            }
            List<Callable<float[]>> jobs = new java.util.ArrayList<>();
            for (int rep = 0; rep < 4; rep++) {
                for (FloatTensor x : inputs) {
                    jobs.add(() -> rnn.forward(x, null, null).output().toArray());
                }
            }
            List<Future<float[]>> results = callers.invokeAll(jobs);
            List<float[]> aloneAfter = new java.util.ArrayList<>();
            for (FloatTensor x : inputs) {
                aloneAfter.add(rnn.forward(x, null, null).output().toArray());
            }
            for (int i = 0; i < results.size(); i++) {
                float[] got = results.get(i).get(), before = alone.get(i % inputs.size());
                assertArrayEquals(java.util.Arrays.equals(before, got) ? before : aloneAfter.get(i % inputs.size()), got, "call " + i);
            }
        }
    }
}

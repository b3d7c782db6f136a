package dev.jrnn.simd;

import static dev.jrnn.core.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.BFloat16;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.BackendConformance;
import dev.jrnn.core.testing.Tensors;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * simd's bf16 weights ({@link Bf16}): the kernels against the reference run in float32 on the same
 * weights rounded to bf16 (so the test checks the kernels, not the rounding: the two differ only by
 * float32 reordering), and bit for bit against simd's own float32 kernels on those rounded weights;
 * every thread split; no allocation per call; training refused. The accuracy against float32
 * weights is {@link SimdPrecisionAccuracyTest}'s. The allocation, update and training tests cover int8 too
 * ({@link Int8Test} the rest of int8), and a few helpers here serve both.
 */
@Tag("width")
class Bf16Test {

    private static final Backend REFERENCE = Backends.reference(), SIMD = new SimdBackend();

    /** A problem and its per-sequence lengths (null: all T). */
    record Case(RnnDescriptor d, int[] lengths) {
        @Override
        public String toString() {
            return d + (lengths == null ? "" : " lengths " + Arrays.toString(lengths));
        }
    }

    /** Sizes on both sides of vector-lane boundaries, none a multiple of 8 but 16's neighbours. */
    private static final int[] SIZES = {1, 3, 7, 9, 15, 17, 33, 5, 19};

    /**
     * Every cell, direction, 1 and 2 layers; batch 1 (a single step: the row kernel for both
     * products; several steps: the row kernel for the recurrence) and batches of 3 and 9 (the
     * widened copy), one of them with mixed lengths (steps down to a single sequence: the row kernel again).
     */
    static List<Case> grid() {
        int[][] problems = {{1, 1}, {6, 1}, {5, 3}, {4, 9}};
        List<Case> grid = new ArrayList<>();
        int k = 0;
        for (CellKind cell : CellKind.values()) {
            for (Direction direction : Direction.values()) {
                for (int layers = 1; layers <= 2; layers++) {
                    for (int[] tn : problems) {
                        k++;
                        RnnDescriptor d = new RnnDescriptor(cell, layers, direction, tn[0], tn[1],
                                SIZES[k % SIZES.length], SIZES[(k * 5 + 3) % SIZES.length]);
                        grid.add(new Case(d, null));
                        if (tn[1] > 1) {
                            grid.add(new Case(d, BackendConformance.mixedLengths(tn[0], tn[1], k)));
                        }
                    }
                }
            }
        }
        return grid;
    }

    /** The outputs of one inference forward. */
    record Out(FloatTensor y, FloatTensor hn, FloatTensor cn) {
        boolean sameBits(Out o) {
            return Arrays.equals(y.toArray(), o.y.toArray()) && Arrays.equals(hn.toArray(), o.hn.toArray())
                    && (cn == null || Arrays.equals(cn.toArray(), o.cn.toArray()));
        }
    }

    static Out infer(PreparedRnn rnn, Case c, SplittableRandom random) {
        RnnDescriptor d = c.d();
        boolean lstm = d.cell().hasCellState();
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), h0 = Tensors.uniform(d.iterShape(), random);
        FloatTensor c0 = lstm ? Tensors.uniform(d.iterShape(), random) : null;
        Out o = new Out(nan(d.dstLayerShape()), nan(d.iterShape()), lstm ? nan(d.iterShape()) : null);
        try (Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.INFERENCE, new RnnForward(x, h0, c0, o.y(), o.hn(), o.cn(), c.lengths()), ws);
        }
        return o;
    }

    private static FloatTensor nan(dev.jrnn.core.tensor.Shape shape) {
        FloatTensor t = FloatTensor.zeros(shape);
        t.fill(Float.NaN);
        return t;
    }

    static Out run(Backend backend, Case c, RnnWeights w, Precision precision) {
        try (PreparedRnn rnn = backend.prepare(c.d(), w, precision)) {
            return infer(rnn, c, new SplittableRandom(c.toString().hashCode()));
        }
    }

    /** The conformance suite's tolerance (ConformanceAgainstReference): float32 sums in another order. */
    static double tolerance(RnnDescriptor d) {
        return 1e-5 * Math.max(1, Math.sqrt(d.steps() * d.batch() * d.layers() / 4.0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("grid")
    void matchesTheReferenceOnTheRoundedWeights(Case c) {
        RnnWeights w = RnnWeights.uniform(c.d(), c.toString().hashCode());
        Out want = run(REFERENCE, c, BFloat16.roundMatrices(w), Precision.FLOAT32);
        Out got = run(SIMD, c, w, Precision.BF16);
        double tol = tolerance(c.d());
        assertClose("dstLayer " + c, want.y(), got.y(), tol, tol);
        assertClose("dstIter " + c, want.hn(), got.hn(), tol, tol);
        if (want.cn() != null) {
            assertClose("dstIterC " + c, want.cn(), got.cn(), tol, tol);
        }
    }

    /**
     * The bf16 kernels sum in the order of the float32 ones: the same bits as float32 weights rounded
     * first. (As in ThreadsTest, the JIT may move an activation's last bit between two runs once: the
     * bf16 run must equal the float32 run before it or the one after it. The move can also fall inside
     * the bf16 run, between its steps, when neither float32 run matches it: so a disagreement is
     * measured once more, where a wrong order of sums would disagree again.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("grid")
    void equalsFloat32OnTheRoundedWeightsBitForBit(Case c) {
        RnnWeights w = RnnWeights.uniform(c.d(), c.toString().hashCode()), rounded = BFloat16.roundMatrices(w);
        Out got = null, same = null;
        for (int attempt = 0; attempt < 2 && (same == null || !same.sameBits(got)); attempt++) {
            Out before = run(SIMD, c, rounded, Precision.FLOAT32);
            got = run(SIMD, c, w, Precision.BF16);
            same = before.sameBits(got) ? before : run(SIMD, c, rounded, Precision.FLOAT32);
        }
        assertArrayEquals(same.y().toArray(), got.y().toArray(), "dstLayer " + c);
        assertArrayEquals(same.hn().toArray(), got.hn().toArray(), "dstIter " + c);
        if (same.cn() != null) {
            assertArrayEquals(same.cn().toArray(), got.cn().toArray(), "dstIterC " + c);
        }
    }

    /** Shapes large enough to run on two parties: split by hidden units, by sequences, by direction; batch 1 too. */
    static List<Case> splitShapes() {
        return List.of(
                new Case(new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 5, 17, 40, 150), null),
                new Case(new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 6, 17, 33, 150),
                        BackendConformance.mixedLengths(6, 17, 5)),
                new Case(new RnnDescriptor(CellKind.GRU, 2, Direction.UNIDIRECTIONAL, 4, 1, 20, 600), null),
                new Case(new RnnDescriptor(CellKind.RNN_TANH, 1, Direction.UNIDIRECTIONAL, 3, 1, 33, 1100), null),
                new Case(new RnnDescriptor(CellKind.RNN_RELU, 2, Direction.BIDIRECTIONAL, 3, 4, 5, 33), null),
                new Case(new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 6, 1, 9, 17), null));
    }

    private static final WorkerPool POOL = new WorkerPool(1); // two parties at most

    static Out runSplit(Case c, RnnWeights w, int split, Precision precision) {
        try (SimdRnn rnn = new SimdRnn(c.d().architecture(), w, POOL, 2, precision)) {
            assertEquals(2, rnn.parties(c.d().batch(), c.d().steps() * c.d().batch()), "parties planned for " + c);
            rnn.forceSplit(split);
            return infer(rnn, c, new SplittableRandom(7));
        }
    }

    /**
     * One thread, two splitting the hidden units, two splitting the sequences: the same bits. (The
     * JIT's move of an activation's last bit, ThreadsTest's caveat, can also fall inside the split
     * run, between its two threads' rows: so a disagreement is measured once more, after it, where a
     * wrong partition would disagree again.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("splitShapes")
    void everySplitGivesTheSameBits(Case c) {
        everySplitGivesTheSameBits(c, Precision.BF16);
    }

    static void everySplitGivesTheSameBits(Case c, Precision precision) {
        RnnWeights w = RnnWeights.uniform(c.d(), 3);
        for (int split : new int[] {SimdRnn.SPLIT_UNITS, SimdRnn.SPLIT_ROWS}) {
            Out one = null, two = null;
            for (int attempt = 0; attempt < 2 && (one == null || !one.sameBits(two)); attempt++) {
                one = runSplit(c, w, SimdRnn.ONE_THREAD, precision);
                two = runSplit(c, w, split, precision);
                if (!one.sameBits(two)) {
                    one = runSplit(c, w, SimdRnn.ONE_THREAD, precision); // the JIT between the two runs
                }
            }
            assertArrayEquals(one.y().toArray(), two.y().toArray(), "dstLayer " + c + ", split " + split);
            assertArrayEquals(one.hn().toArray(), two.hn().toArray(), "dstIter " + c + ", split " + split);
        }
    }

    /**
     * Allocation-free inference at batch 1 (one step, several steps) and batched with mixed lengths,
     * 2 layers; float32 on the same shapes first, so that a cold JVM's first compilations fall on
     * float32's kernels as much as on the narrow ones' (bf16, then int8: {@link Int8Test}'s too).
     */
    static List<Object[]> allocationShapes() {
        List<Object[]> cases = new ArrayList<>();
        for (Precision p : new Precision[] {Precision.FLOAT32, Precision.BF16, Precision.INT8}) {
            for (CellKind cell : CellKind.values()) {
                cases.add(new Object[] {p, new Case(new RnnDescriptor(cell, 2, Direction.UNIDIRECTIONAL, 1, 1, 10, 20), null)});
                cases.add(new Object[] {p, new Case(new RnnDescriptor(cell, 2, Direction.BIDIRECTIONAL, 6, 1, 10, 20), null)});
                cases.add(new Object[] {p, new Case(new RnnDescriptor(cell, 2, Direction.BIDIRECTIONAL, 6, 3, 10, 20),
                        new int[] {2, 6, 1})});
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("allocationShapes")
    void steadyStateInferenceAllocatesNothing(Precision precision, Case c) {
        RnnDescriptor d = c.d();
        SplittableRandom random = new SplittableRandom(1);
        boolean lstm = d.cell().hasCellState();
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), h0 = Tensors.uniform(d.iterShape(), random);
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), hn = FloatTensor.zeros(d.iterShape());
        FloatTensor cn = lstm ? FloatTensor.zeros(d.iterShape()) : null;
        RnnForward io = new RnnForward(x, h0, null, y, hn, cn, c.lengths());
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (SimdRnn rnn = new SimdRnn(d.architecture(), RnnWeights.uniform(d, 2), new WorkerPool(0), 1, precision);
             Workspace ws = rnn.newWorkspace()) {
            long allocated = Long.MAX_VALUE;
            // C2 needs a while to compile (and scalar-replace the vectors of) every path, longer on a shared machine
            for (int round = 0; round < 40 && allocated > 0; round++) {
                for (int i = 0; i < 2000; i++) {
                    rnn.forward(Mode.INFERENCE, io, ws);
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    rnn.forward(Mode.INFERENCE, io, ws);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "bytes allocated by 200 " + precision + " forward calls of " + c);
        }
    }

    /** simd runs every precision; the narrow ones serve inference only. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void runsEveryPrecisionAndTheNarrowOnesForInferenceOnly(Precision precision) {
        assertEquals(java.util.EnumSet.allOf(Precision.class), SIMD.precisions());
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 3, 2, 5, 7);
        RnnWeights w = RnnWeights.uniform(d, 1);
        try (PreparedRnn rnn = SIMD.prepare(d, w, precision); Workspace ws = rnn.newWorkspace()) {
            assertEquals(precision, rnn.precision());
            RnnForward io = RnnForward.of(Tensors.uniform(d.srcLayerShape(), new SplittableRandom(2)),
                    FloatTensor.zeros(d.dstLayerShape()));
            var training = assertThrows(UnsupportedOperationException.class, () -> rnn.forward(Mode.TRAINING, io, ws));
            assertTrue(training.getMessage().contains(precision.label()) && training.getMessage().contains("inference only"),
                    training.getMessage());
            rnn.forward(Mode.INFERENCE, io, ws); // and the plan still serves inference
        }
    }

    /** An update re-rounds (or re-quantizes) the new weights into the same plan: the same bits as a new plan of them. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void updateRepacksTheNewWeights(Precision precision) {
        Case c = new Case(new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 4, 3, 9, 17), null);
        RnnWeights first = RnnWeights.uniform(c.d(), 1), second = RnnWeights.uniform(c.d(), 2);
        try (PreparedRnn rnn = SIMD.prepare(c.d(), first, precision)) {
            rnn.update(second);
            Out updated = infer(rnn, c, new SplittableRandom(9));
            Out fresh;
            try (PreparedRnn other = SIMD.prepare(c.d(), second, precision)) {
                fresh = infer(other, c, new SplittableRandom(9));
            }
            Out same = fresh.sameBits(updated) ? fresh : run(SIMD, c, second, precision);
            assertArrayEquals(same.y().toArray(), updated.y().toArray());
        }
    }
}

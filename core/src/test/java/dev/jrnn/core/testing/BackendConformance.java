package dev.jrnn.core.testing;

import static dev.jrnn.core.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every backend, the reference included, must do: match the PyTorch fixtures (forward
 * outputs, final states, every gradient), read and write native and strided tensors, repeat
 * itself, and accumulate weight gradients. Backends other than the reference extend
 * {@link ConformanceAgainstReference}, which adds the grid of shapes.
 */
public abstract class BackendConformance {

    /** The backend under test. */
    protected abstract Backend backend();

    /**
     * Whether a forward in inference mode gives bitwise the outputs of one in training mode. A
     * backend that runs the two modes with different kernels (oneDNN) overrides this with false and
     * a reason; its modes must then still agree to 1e-6. Repeated calls in one mode always agree bitwise.
     */
    protected boolean modesAgreeBitwise() {
        return true;
    }

    public static List<String> fixtures() {
        return PyTorchFixture.names();
    }

    /**
     * A problem: weights, inputs, and gradients of the outputs, all seeded by the descriptor, and
     * optional per-sequence lengths.
     */
    protected record Problem(RnnDescriptor d, RnnWeights weights, FloatTensor x, FloatTensor h0, FloatTensor c0,
                   FloatTensor dy, FloatTensor dhn, FloatTensor dcn, int[] lengths) {

        public Problem(RnnDescriptor d, RnnWeights weights, FloatTensor x, FloatTensor h0, FloatTensor c0,
                       FloatTensor dy, FloatTensor dhn, FloatTensor dcn) {
            this(d, weights, x, h0, c0, dy, dhn, dcn, null);
        }

        public static Problem of(RnnDescriptor d) {
            return of(d, null);
        }

        public static Problem of(RnnDescriptor d, int[] lengths) {
            SplittableRandom random = new SplittableRandom(d.toString().hashCode());
            boolean lstm = d.cell().hasCellState();
            return new Problem(d, RnnWeights.uniform(d, random.nextLong()),
                    Tensors.uniform(d.srcLayerShape(), random), Tensors.uniform(d.iterShape(), random),
                    lstm ? Tensors.uniform(d.iterShape(), random) : null,
                    Tensors.uniform(d.dstLayerShape(), random), Tensors.uniform(d.iterShape(), random),
                    lstm ? Tensors.uniform(d.iterShape(), random) : null, lengths);
        }

        /** The same tensors with other weights. */
        public Problem withWeights(RnnWeights w) {
            return new Problem(d, w, x, h0, c0, dy, dhn, dcn, lengths);
        }
    }

    /** Unsorted lengths in {@code [1, T]} with 1 and {@code T} among them (for {@code N >= 2}), from a seed. */
    public static int[] mixedLengths(int steps, int batch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] lengths = new int[batch];
        for (int n = 0; n < batch; n++) {
            lengths[n] = 1 + random.nextInt(steps);
        }
        if (batch >= 2) {
            int a = random.nextInt(batch), b = (a + 1 + random.nextInt(batch - 1)) % batch;
            lengths[a] = 1;
            lengths[b] = steps;
        }
        return lengths;
    }

    /** What forward and backward produced. */
    protected record Outcome(FloatTensor y, FloatTensor hn, FloatTensor cn, FloatTensor dx, FloatTensor dh0, FloatTensor dc0,
                   RnnWeights dw) {
    }

    protected static Outcome run(Backend backend, Problem p) {
        try (PreparedRnn rnn = backend.prepare(p.d(), p.weights()); Workspace ws = rnn.newWorkspace()) {
            return run(rnn, ws, p);
        }
    }

    /** Forward and backward of {@code p} on a plan and workspace the caller keeps. Outputs start as NaN, so
     *  that a backend that leaves any element unwritten fails. */
    protected static Outcome run(PreparedRnn rnn, Workspace ws, Problem p) {
        RnnDescriptor d = p.d();
        boolean lstm = d.cell().hasCellState();
        Outcome o = new Outcome(nan(d.dstLayerShape()), nan(d.iterShape()), lstm ? nan(d.iterShape()) : null,
                nan(d.srcLayerShape()), nan(d.iterShape()), lstm ? nan(d.iterShape()) : null, RnnWeights.zeros(d));
        rnn.forward(Mode.TRAINING, new RnnForward(p.x(), p.h0(), p.c0(), o.y(), o.hn(), o.cn(), p.lengths()), ws);
        rnn.backward(new RnnBackward(p.dy(), p.dhn(), p.dcn(), o.dx(), o.dh0(), o.dc0(), o.dw()), ws);
        return o;
    }

    private static FloatTensor nan(Shape shape) {
        FloatTensor t = FloatTensor.zeros(shape);
        t.fill(Float.NaN);
        return t;
    }

    /** Every output of {@code got} agrees with {@code want}; positions past a sequence's end are exactly zero in both. */
    protected static void assertOutcome(Outcome want, Outcome got, int[] lengths, double tol) {
        assertClose("dstLayer", want.y(), got.y(), tol, tol);
        assertClose("dstIter", want.hn(), got.hn(), tol, tol);
        if (want.cn() != null) {
            assertClose("dstIterC", want.cn(), got.cn(), tol, tol);
        }
        assertClose("diffSrcLayer", want.dx(), got.dx(), tol, tol);
        assertClose("diffSrcIter", want.dh0(), got.dh0(), tol, tol);
        if (want.dc0() != null) {
            assertClose("diffSrcIterC", want.dc0(), got.dc0(), tol, tol);
        }
        Map<String, FloatTensor> gotW = got.dw().named();
        want.dw().named().forEach((name, t) -> assertClose(name + " gradient", t, gotW.get(name), tol, tol));
        if (lengths != null) {
            for (int n = 0; n < lengths.length; n++) {
                for (int t = lengths[n]; t < got.y().dim(0); t++) {
                    for (int c = 0; c < got.y().dim(2); c++) {
                        org.junit.jupiter.api.Assertions.assertEquals(0f, got.y().get(t, n, c),
                                "dstLayer past the end of sequence " + n + " at step " + t);
                    }
                    for (int c = 0; c < got.dx().dim(2); c++) {
                        org.junit.jupiter.api.Assertions.assertEquals(0f, got.dx().get(t, n, c),
                                "diffSrcLayer past the end of sequence " + n + " at step " + t);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jrnn.core.testing.BackendConformance#fixtures")
    void matchesPyTorch(String fixtureName) {
        PyTorchFixture f = PyTorchFixture.load(fixtureName);
        RnnDescriptor d = f.descriptor();
        double tol = 1e-5;
        boolean lstm = d.cell().hasCellState();
        // outputs in PyTorch's own layout (batch-first where the module was), seen as [T, N, C]
        int[] yShape = f.shape("output");
        FloatTensor y = FloatTensor.zeros(yShape);
        FloatTensor yTnc = f.batchFirst() ? y.permute(1, 0, 2) : y;
        FloatTensor dx = FloatTensor.zeros(f.shape("input"));
        FloatTensor dxTnc = f.batchFirst() ? dx.permute(1, 0, 2) : dx;
        FloatTensor hn = FloatTensor.zeros(d.iterShape()), cn = lstm ? FloatTensor.zeros(d.iterShape()) : null;
        FloatTensor dh0 = FloatTensor.zeros(d.iterShape()), dc0 = lstm ? FloatTensor.zeros(d.iterShape()) : null;
        RnnWeights dw = RnnWeights.zeros(d);
        try (PreparedRnn rnn = backend().prepare(d, f.weights()); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.TRAINING, new RnnForward(f.sequence("input"), f.has("h0") ? f.tensor("h0") : null,
                    f.has("c0") ? f.tensor("c0") : null, yTnc, hn, cn, f.lengths()), ws);
            rnn.backward(new RnnBackward(f.sequence("dy"), f.has("dhn") ? f.tensor("dhn") : null,
                    f.has("dcn") ? f.tensor("dcn") : null, dxTnc, dh0, dc0, dw), ws);
        }
        assertClose("output", f.values("output"), y, tol, tol);
        assertClose("h_n", f.values("hn"), hn, tol, tol);
        if (lstm) {
            assertClose("c_n", f.values("cn"), cn, tol, tol);
        }
        assertClose("input.grad", f.values("grad.input"), dx, tol, tol);
        if (f.has("h0")) {
            assertClose("h_0.grad", f.values("grad.h0"), dh0, tol, tol);
        }
        if (f.has("c0")) {
            assertClose("c_0.grad", f.values("grad.c0"), dc0, tol, tol);
        }
        f.weightGradients().forEach((name, want) -> assertClose(name + ".grad", want, dw.named().get(name), tol, tol));
    }

    /** The inference kernels (no gradients, no workspace kept) against PyTorch's forward. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jrnn.core.testing.BackendConformance#fixtures")
    void matchesPyTorchInInference(String fixtureName) {
        PyTorchFixture f = PyTorchFixture.load(fixtureName);
        RnnDescriptor d = f.descriptor();
        double tol = 1e-5;
        boolean lstm = d.cell().hasCellState();
        FloatTensor y = FloatTensor.zeros(f.shape("output"));
        FloatTensor hn = FloatTensor.zeros(d.iterShape()), cn = lstm ? FloatTensor.zeros(d.iterShape()) : null;
        try (PreparedRnn rnn = backend().prepare(d, f.weights()); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.INFERENCE, new RnnForward(f.sequence("input"), f.has("h0") ? f.tensor("h0") : null,
                    f.has("c0") ? f.tensor("c0") : null, f.batchFirst() ? y.permute(1, 0, 2) : y, hn, cn, f.lengths()), ws);
        }
        assertClose("output", f.values("output"), y, tol, tol);
        assertClose("h_n", f.values("hn"), hn, tol, tol);
        if (lstm) {
            assertClose("c_n", f.values("cn"), cn, tol, tol);
        }
    }

    @Test
    void nativeTensorsAndStridedViewsGiveTheSameResultsAsHeapTensors() {
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 5, 3, 9, 7);
        Problem p = Problem.of(d);
        Outcome heap = run(backend(), p);
        try (Arena arena = Arena.ofConfined()) {
            // input as a batch-first native buffer seen as [T, N, C]; initial states native
            FloatTensor xNtc = FloatTensor.allocate(arena, Shape.of(3, 5, 9)).permute(1, 0, 2);
            xNtc.copyFrom(p.x());
            FloatTensor h0 = FloatTensor.allocate(arena, d.iterShape());
            h0.copyFrom(p.h0());
            FloatTensor c0 = FloatTensor.allocate(arena, d.iterShape());
            c0.copyFrom(p.c0());
            Problem moved = new Problem(d, p.weights(), xNtc, h0, c0, p.dy(), p.dhn(), p.dcn());
            Outcome strided = run(backend(), moved);
            assertArrayEquals(heap.y().toArray(), strided.y().toArray(), "dstLayer");
            assertArrayEquals(heap.hn().toArray(), strided.hn().toArray(), "dstIter");
            assertArrayEquals(heap.dx().toArray(), strided.dx().toArray(), "diffSrcLayer");
            for (Param param : Param.values()) {
                assertArrayEquals(heap.dw().get(param, 1, 1).toArray(), strided.dw().get(param, 1, 1).toArray(),
                        param + " gradient");
            }
        }
    }

    @Test
    void repeatedCallsOnOneWorkspaceAgreeAndInferenceEqualsTraining() {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 4, 2, 5, 6);
        Problem p = Problem.of(d);
        try (PreparedRnn rnn = backend().prepare(d, p.weights()); Workspace ws = rnn.newWorkspace()) {
            FloatTensor y1 = FloatTensor.zeros(d.dstLayerShape()), y2 = FloatTensor.zeros(d.dstLayerShape());
            rnn.forward(Mode.TRAINING, RnnForward.of(p.x(), y1).withInitialState(p.h0(), null), ws);
            rnn.forward(Mode.INFERENCE, RnnForward.of(p.x(), y2).withInitialState(p.h0(), null), ws);
            if (modesAgreeBitwise()) {
                assertArrayEquals(y1.toArray(), y2.toArray());
            } else {
                assertClose("inference against training", y1, y2, 1e-6, 1e-6);
            }
            FloatTensor y3 = FloatTensor.zeros(d.dstLayerShape());
            rnn.forward(Mode.INFERENCE, RnnForward.of(p.x(), y3).withInitialState(p.h0(), null), ws);
            assertArrayEquals(y2.toArray(), y3.toArray());
        }
    }

    @Test
    void weightGradientsAccumulateAcrossBackwardCalls() {
        RnnDescriptor d = new RnnDescriptor(CellKind.RNN_TANH, 1, Direction.UNIDIRECTIONAL, 3, 2, 4, 5);
        Problem p = Problem.of(d);
        RnnWeights once = RnnWeights.zeros(d), twice = RnnWeights.zeros(d);
        try (PreparedRnn rnn = backend().prepare(d, p.weights()); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.TRAINING, RnnForward.of(p.x(), FloatTensor.zeros(d.dstLayerShape())), ws);
            rnn.backward(RnnBackward.of(p.dy(), null, once), ws);
            rnn.backward(RnnBackward.of(p.dy(), null, twice), ws);
            rnn.backward(RnnBackward.of(p.dy(), null, twice), ws);
        }
        float[] a = once.get(Param.WEIGHT_HH, 0, 0).toArray(), b = twice.get(Param.WEIGHT_HH, 0, 0).toArray();
        double[] doubled = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            doubled[i] = 2.0 * a[i];
        }
        assertClose("twice accumulated weight_hh gradient", doubled, FloatTensor.of(b, b.length), 1e-6, 1e-6);
    }

    /**
     * The definition of variable lengths: a batch with lengths gives what running each sequence
     * alone, {@code T = length}, gives; weight gradients are the sum over the sequences.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jrnn.core.testing.BackendConformance#lengthCases")
    void variableLengthsEqualEachSequenceRunAlone(RnnDescriptor d) {
        int[] lengths = mixedLengths(d.steps(), d.batch(), d.hashCode());
        Problem p = Problem.of(d, lengths);
        Outcome batch = run(backend(), p);
        RnnWeights sum = RnnWeights.zeros(d);
        boolean lstm = d.cell().hasCellState();
        double tol = 2e-6 * Math.sqrt(d.steps() * d.batch());
        for (int n = 0; n < d.batch(); n++) {
            RnnDescriptor one = d.withSteps(lengths[n]).withBatch(1);
            int len = lengths[n], seq = n;
            java.util.function.Function<FloatTensor, FloatTensor> sequence = t -> t.slice(0, 0, len).slice(1, seq, seq + 1);
            java.util.function.Function<FloatTensor, FloatTensor> state = t -> t == null ? null : t.slice(1, seq, seq + 1);
            Problem alone = new Problem(one, p.weights(), sequence.apply(p.x()), state.apply(p.h0()), state.apply(p.c0()),
                    sequence.apply(p.dy()), state.apply(p.dhn()), state.apply(p.dcn()));
            Outcome o = run(backend(), alone);
            assertClose("dstLayer of sequence " + n, o.y(), sequence.apply(batch.y()), tol, tol);
            assertClose("dstIter of sequence " + n, o.hn(), state.apply(batch.hn()), tol, tol);
            if (lstm) {
                assertClose("dstIterC of sequence " + n, o.cn(), state.apply(batch.cn()), tol, tol);
                assertClose("diffSrcIterC of sequence " + n, o.dc0(), state.apply(batch.dc0()), tol, tol);
            }
            assertClose("diffSrcLayer of sequence " + n, o.dx(), sequence.apply(batch.dx()), tol, tol);
            assertClose("diffSrcIter of sequence " + n, o.dh0(), state.apply(batch.dh0()), tol, tol);
            o.dw().named().forEach((name, g) -> {
                FloatTensor into = sum.named().get(name);
                for (long i = 0; i < g.size(); i++) {
                    into.setFlat(i, into.getFlat(i) + g.getFlat(i));
                }
            });
        }
        Map<String, FloatTensor> got = batch.dw().named();
        sum.named().forEach((name, t) -> assertClose(name + " gradient, summed over sequences", t, got.get(name), tol, tol));
        for (int n = 0; n < d.batch(); n++) {
            for (int t = lengths[n]; t < d.steps(); t++) {
                for (int c = 0; c < d.outputSize(); c++) {
                    org.junit.jupiter.api.Assertions.assertEquals(0f, batch.y().get(t, n, c), "dstLayer past the end");
                }
            }
        }
    }

    public static List<RnnDescriptor> lengthCases() {
        List<RnnDescriptor> cases = new ArrayList<>();
        for (CellKind cell : CellKind.values()) {
            for (Direction direction : Direction.values()) {
                cases.add(new RnnDescriptor(cell, 2, direction, 6, 5, 7, 9));
            }
        }
        return cases;
    }

    /** One plan and one workspace serve problems of many sizes, growing and shrinking, with and without lengths. */
    @Test
    void onePlanAndWorkspaceServeAnyStepsAndBatch() {
        RnnDescriptor base = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 1, 1, 6, 9);
        RnnWeights w = RnnWeights.uniform(base, 7);
        Backend reference = Backends.reference();
        int[][] problems = {{3, 2}, {17, 7}, {1, 1}, {5, 3}, {17, 7}, {2, 9}, {9, 4}, {3, 2}};
        try (PreparedRnn rnn = backend().prepare(base.architecture(), w); Workspace ws = rnn.newWorkspace();
             PreparedRnn ref = reference.prepare(base.architecture(), w); Workspace refWs = ref.newWorkspace()) {
            for (int k = 0; k < problems.length; k++) {
                RnnDescriptor d = base.withSteps(problems[k][0]).withBatch(problems[k][1]);
                int[] lengths = k % 2 == 1 && d.batch() > 1 ? mixedLengths(d.steps(), d.batch(), k) : null;
                Problem p = Problem.of(d, lengths).withWeights(w);
                assertOutcome(run(ref, refWs, p), run(rnn, ws, p), lengths, 1e-5 * Math.sqrt(d.steps() * d.batch()));
            }
        }
    }

    /** update() packs new weights into the plan: the same results as a fresh prepare, not the old weights'. */
    @Test
    void updateGivesWhatAFreshPrepareGives() {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 5, 3, 4, 7);
        int[] lengths = {5, 1, 3};
        Problem before = Problem.of(d, lengths);
        Problem after = before.withWeights(RnnWeights.uniform(d, 12345));
        try (PreparedRnn rnn = backend().prepare(d.architecture(), before.weights()); Workspace ws = rnn.newWorkspace()) {
            Outcome old = run(rnn, ws, before);
            rnn.update(after.weights());
            Outcome updated = run(rnn, ws, after);
            Outcome fresh = run(backend(), after);
            assertOutcome(fresh, updated, lengths, 1e-6);
            org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(old.y().toArray(), updated.y().toArray()),
                    "the update changed nothing");
        }
    }
}

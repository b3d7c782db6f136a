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
import dev.jrnn.core.scalar.ReferenceBackend;
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

    /** A problem: weights, inputs, and gradients of the outputs, all seeded by the descriptor. */
    protected record Problem(RnnDescriptor d, RnnWeights weights, FloatTensor x, FloatTensor h0, FloatTensor c0,
                   FloatTensor dy, FloatTensor dhn, FloatTensor dcn) {

        public static Problem of(RnnDescriptor d) {
            SplittableRandom random = new SplittableRandom(d.toString().hashCode());
            boolean lstm = d.cell().hasCellState();
            return new Problem(d, RnnWeights.uniform(d, random.nextLong()),
                    Tensors.uniform(d.srcLayerShape(), random), Tensors.uniform(d.iterShape(), random),
                    lstm ? Tensors.uniform(d.iterShape(), random) : null,
                    Tensors.uniform(d.dstLayerShape(), random), Tensors.uniform(d.iterShape(), random),
                    lstm ? Tensors.uniform(d.iterShape(), random) : null);
        }
    }

    /** What forward and backward produced. */
    protected record Outcome(FloatTensor y, FloatTensor hn, FloatTensor cn, FloatTensor dx, FloatTensor dh0, FloatTensor dc0,
                   RnnWeights dw) {
    }

    protected static Outcome run(Backend backend, Problem p) {
        RnnDescriptor d = p.d();
        boolean lstm = d.cell().hasCellState();
        Outcome o = new Outcome(FloatTensor.zeros(d.dstLayerShape()), FloatTensor.zeros(d.iterShape()),
                lstm ? FloatTensor.zeros(d.iterShape()) : null, FloatTensor.zeros(d.srcLayerShape()),
                FloatTensor.zeros(d.iterShape()), lstm ? FloatTensor.zeros(d.iterShape()) : null, RnnWeights.zeros(d));
        try (PreparedRnn rnn = backend.prepare(d, p.weights()); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.TRAINING, new RnnForward(p.x(), p.h0(), p.c0(), o.y(), o.hn(), o.cn()), ws);
            rnn.backward(new RnnBackward(p.dy(), p.dhn(), p.dcn(), o.dx(), o.dh0(), o.dc0(), o.dw()), ws);
        }
        return o;
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
                    f.has("c0") ? f.tensor("c0") : null, yTnc, hn, cn), ws);
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
                    f.has("c0") ? f.tensor("c0") : null, f.batchFirst() ? y.permute(1, 0, 2) : y, hn, cn), ws);
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
}

package dev.jrnn.core.rnn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.scalar.ReferenceBackend;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every mistake a caller can make is an exception that names the tensor, what was expected and what came. */
class BadInputTest {

    // T=3, N=2, I=4, H=5; two layers, bidirectional: states [4, 2, 5], output [3, 2, 10]
    private final RnnDescriptor lstm = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 3, 2, 4, 5);
    private final RnnDescriptor gru = new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 3, 2, 4, 5);
    private final Backend backend = new ReferenceBackend();
    private PreparedRnn rnn;
    private Workspace ws;

    @BeforeEach
    void prepare() {
        rnn = backend.prepare(lstm, RnnWeights.uniform(lstm, 1));
        ws = rnn.newWorkspace();
    }

    @AfterEach
    void close() {
        rnn.close();
    }

    private static void assertMessage(Class<? extends Throwable> type, Executable call, String... parts) {
        Throwable e = assertThrows(type, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }

    private void forward(FloatTensor x, FloatTensor h0, FloatTensor c0, FloatTensor y, FloatTensor hn) {
        rnn.forward(Mode.INFERENCE, new RnnForward(x, h0, c0, y, hn, null), ws);
    }

    private final FloatTensor x = FloatTensor.zeros(3, 2, 4);
    private final FloatTensor y = FloatTensor.zeros(3, 2, 10);
    private final FloatTensor state = FloatTensor.zeros(4, 2, 5);

    @Test
    void inputSize() {
        assertMessage(IllegalArgumentException.class, () -> forward(FloatTensor.zeros(3, 2, 5), null, null, y, null),
                "srcLayer", "expected shape [3, 2, 4]", "but was [3, 2, 5]");
    }

    // T and N come from srcLayer: every other tensor must agree with it

    @Test
    void batch() {
        assertMessage(IllegalArgumentException.class, () -> forward(FloatTensor.zeros(3, 1, 4), null, null, y, null),
                "dstLayer", "[3, 1, 10]", "[3, 2, 10]");
    }

    @Test
    void steps() {
        assertMessage(IllegalArgumentException.class, () -> forward(FloatTensor.zeros(4, 2, 4), null, null, y, null),
                "dstLayer", "[4, 2, 10]", "[3, 2, 10]");
    }

    @Test
    void lengths() {
        assertMessage(IllegalArgumentException.class,
                () -> rnn.forward(Mode.INFERENCE, RnnForward.of(x, y).withLengths(new int[] {3}), ws),
                "lengths", "1 values", "batch (N) of 2");
        assertMessage(IllegalArgumentException.class,
                () -> rnn.forward(Mode.INFERENCE, RnnForward.of(x, y).withLengths(new int[] {3, 0}), ws),
                "lengths[1] = 0", "[1, T = 3]");
        assertMessage(IllegalArgumentException.class,
                () -> rnn.forward(Mode.INFERENCE, RnnForward.of(x, y).withLengths(new int[] {4, 1}), ws),
                "lengths[0] = 4", "[1, T = 3]");
    }

    @Test
    void backwardGradientsMustHaveTheForwardsProblem() {
        rnn.forward(Mode.TRAINING, RnnForward.of(x, y), ws);
        assertMessage(IllegalArgumentException.class,
                () -> rnn.backward(dev.jrnn.core.rnn.RnnBackward.of(FloatTensor.zeros(4, 2, 10), null, null), ws),
                "diffDstLayer", "[3, 2, 10]", "[4, 2, 10]");
    }

    @Test
    void updateRefusesWeightsOfAnotherArchitecture() {
        RnnDescriptor other = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 3, 2, 4, 6);
        assertMessage(IllegalArgumentException.class, () -> rnn.update(RnnWeights.uniform(other, 1)), "do not fit");
    }

    @Test
    void initialStateShape() {
        assertMessage(IllegalArgumentException.class, () -> forward(x, FloatTensor.zeros(2, 2, 5), null, y, null),
                "srcIter (h0)", "expected shape [4, 2, 5] (L*D, N, H)", "but was [2, 2, 5]");
        assertMessage(IllegalArgumentException.class, () -> forward(x, state, FloatTensor.zeros(4, 2, 6), y, null),
                "srcIterC (c0)", "[4, 2, 5]", "[4, 2, 6]");
    }

    @Test
    void hiddenSizeOfOutputs() {
        assertMessage(IllegalArgumentException.class, () -> forward(x, null, null, FloatTensor.zeros(3, 2, 5), null),
                "dstLayer", "expected shape [3, 2, 10] (T, N, D*H)", "but was [3, 2, 5]");
        assertMessage(IllegalArgumentException.class, () -> forward(x, null, null, y, FloatTensor.zeros(4, 2, 4)),
                "dstIter (hn)", "[4, 2, 5]", "[4, 2, 4]");
    }

    @Test
    void cellStateOnlyForLstm() {
        try (PreparedRnn g = backend.prepare(gru, RnnWeights.uniform(gru, 2)); Workspace w = g.newWorkspace()) {
            FloatTensor c0 = FloatTensor.zeros(gru.iterShape());
            assertMessage(IllegalArgumentException.class, () -> g.forward(Mode.INFERENCE,
                    RnnForward.of(FloatTensor.zeros(gru.srcLayerShape()), FloatTensor.zeros(gru.dstLayerShape()))
                            .withInitialState(null, c0), w), "srcIterC (c0)", "only for LSTM", "GRU");
        }
    }

    @Test
    void nonFiniteInput() {
        FloatTensor bad = FloatTensor.zeros(3, 2, 4);
        bad.set(1, 0, 2, Float.NaN);
        assertMessage(IllegalArgumentException.class, () -> forward(bad, null, null, y, null),
                "srcLayer", "NaN", "[1, 0, 2]", "finite");
        FloatTensor inf = FloatTensor.zeros(4, 2, 5);
        inf.set(3, 1, 4, Float.POSITIVE_INFINITY);
        assertMessage(IllegalArgumentException.class, () -> forward(x, inf, null, y, null),
                "srcIter (h0)", "Infinity", "[3, 1, 4]");
    }

    @Test
    void channelAxisMustBeContiguous() {
        FloatTensor transposed = FloatTensor.zeros(3, 4, 2).permute(0, 2, 1); // [3, 2, 4], channel stride 2
        assertMessage(IllegalArgumentException.class, () -> forward(transposed, null, null, y, null),
                "srcLayer", "last axis must be contiguous");
    }

    @Test
    void weightShapes() {
        Map<String, FloatTensor> named = new HashMap<>(RnnWeights.uniform(lstm, 3).named());
        named.put("weight_ih_l1_reverse", FloatTensor.zeros(20, 9));
        assertMessage(IllegalArgumentException.class, () -> backend.prepare(lstm, RnnWeights.fromNamed(lstm, named)),
                "weight_ih_l1_reverse", "expected shape [20, 10]", "but was [20, 9]");
        named.put("weight_ih_l1_reverse", FloatTensor.zeros(20, 10));
        named.put("bias_hh_l0", FloatTensor.zeros(15));
        assertMessage(IllegalArgumentException.class, () -> RnnWeights.fromNamed(lstm, named),
                "bias_hh_l0", "expected shape [20]", "but was [15]");
    }

    @Test
    void missingAndUnexpectedWeights() {
        Map<String, FloatTensor> named = new HashMap<>(RnnWeights.uniform(lstm, 3).named());
        named.remove("weight_hh_l1_reverse");
        assertMessage(IllegalArgumentException.class, () -> RnnWeights.fromNamed(lstm, named),
                "missing weight 'weight_hh_l1_reverse'", "[20, 5]");
        Map<String, FloatTensor> extra = new HashMap<>(RnnWeights.uniform(lstm, 3).named());
        extra.put("weight_ih_l2", FloatTensor.zeros(20, 10));
        assertMessage(IllegalArgumentException.class, () -> RnnWeights.fromNamed(lstm, extra),
                "unexpected weight(s) [weight_ih_l2]");
    }

    @Test
    void weightsOfAnotherArchitecture() {
        RnnWeights other = RnnWeights.uniform(lstm.withBatch(7), 4); // same architecture: fits
        backend.prepare(lstm, other).close();
        RnnDescriptor wider = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 3, 2, 4, 6);
        assertMessage(IllegalArgumentException.class, () -> backend.prepare(lstm, RnnWeights.uniform(wider, 4)),
                "do not fit", "H=6", "H=5");
    }

    @Test
    void nonFiniteWeight() {
        RnnWeights w = RnnWeights.uniform(lstm, 5);
        w.get(Param.WEIGHT_HH, 1, 0).set(2, 3, Float.NaN);
        assertMessage(IllegalArgumentException.class, () -> backend.prepare(lstm, w),
                "weight_hh_l1", "NaN", "[2, 3]", "finite");
    }

    @Test
    void backwardShapesAndOrder() {
        RnnBackward grads = RnnBackward.of(FloatTensor.zeros(3, 2, 10), FloatTensor.zeros(3, 2, 4), RnnWeights.zeros(lstm));
        assertMessage(IllegalStateException.class, () -> rnn.backward(grads, ws), "TRAINING");
        rnn.forward(Mode.TRAINING, RnnForward.of(x, y), ws);
        rnn.backward(grads, ws);
        assertMessage(IllegalArgumentException.class,
                () -> rnn.backward(RnnBackward.of(FloatTensor.zeros(3, 2, 5), null, null), ws),
                "diffDstLayer", "[3, 2, 10]", "[3, 2, 5]");
        assertMessage(IllegalArgumentException.class,
                () -> rnn.backward(RnnBackward.of(y, FloatTensor.zeros(3, 2, 3), null), ws),
                "diffSrcLayer", "[3, 2, 4]", "[3, 2, 3]");
        assertMessage(IllegalArgumentException.class,
                () -> rnn.backward(RnnBackward.of(y, null, RnnWeights.zeros(gru)), ws), "do not fit");
        assertMessage(IllegalArgumentException.class,
                () -> rnn.backward(RnnBackward.of(y, null, null).withFinalStateGradients(FloatTensor.zeros(2, 2, 5), null), ws),
                "diffDstIter", "[4, 2, 5]", "[2, 2, 5]");
        rnn.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
        assertMessage(IllegalStateException.class, () -> rnn.backward(grads, ws), "TRAINING");
    }

    @Test
    void closedStackAndForeignWorkspace() {
        try (PreparedRnn other = backend.prepare(lstm, RnnWeights.uniform(lstm, 6))) {
            assertMessage(IllegalArgumentException.class,
                    () -> other.forward(Mode.INFERENCE, RnnForward.of(x, y), ws), "another prepared stack");
        }
        rnn.close();
        assertMessage(IllegalStateException.class, () -> forward(x, null, null, y, null), "closed");
        assertMessage(IllegalStateException.class, () -> rnn.newWorkspace(), "closed");
    }

    @Test
    void descriptorValues() {
        assertMessage(IllegalArgumentException.class,
                () -> new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 3, 2, 4, 0), "hiddenSize", ">= 1", "0");
        assertMessage(IllegalArgumentException.class,
                () -> new RnnDescriptor(CellKind.GRU, 0, Direction.UNIDIRECTIONAL, 3, 2, 4, 5), "layers");
        assertMessage(IllegalArgumentException.class,
                () -> new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 0, 2, 4, 5), "steps");
    }
}

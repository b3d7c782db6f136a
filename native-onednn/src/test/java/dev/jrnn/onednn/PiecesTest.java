package dev.jrnn.onednn;

import static dev.jrnn.core.testing.Close.assertClose;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pieces of a {@link LengthPlan} on a batch big enough to round {@code N} up and to end
 * sequences inside pieces (the shared suite's batches are small), against the reference: both
 * modes, with and without final states and their gradients, every cell and direction.
 */
class PiecesTest {

    record Case(CellKind cell, Direction direction, int layers, int[] lengths, boolean finalStates) {
        @Override
        public String toString() {
            return cell + " " + direction + " L" + layers + " lengths " + java.util.Arrays.toString(lengths)
                    + (finalStates ? "" : " no final states");
        }
    }

    static final int STEPS = 21, INPUT = 5, HIDDEN = 6;

    static List<Case> cases() {
        int[] ties = new int[13], spread = new int[13], equalShort = new int[13];
        for (int n = 0; n < 13; n++) {
            ties[n] = 1 + (n * 7) % 5 * 4; // 1, 5, 9, 13, 17, each two or three times
            spread[n] = STEPS - (n * 5) % 13; // 9..21
            equalShort[n] = 9;
        }
        List<Case> cases = new ArrayList<>();
        for (CellKind cell : CellKind.values()) {
            for (Direction direction : Direction.values()) {
                for (int layers = 1; layers <= 2; layers++) {
                    cases.add(new Case(cell, direction, layers, layers == 1 ? ties : spread, true));
                    cases.add(new Case(cell, direction, layers, layers == 1 ? spread : equalShort, false));
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void piecesMatchTheReference(Case c) {
        RnnArchitecture a = new RnnArchitecture(c.cell(), c.layers(), c.direction(), INPUT, HIDDEN);
        int batch = c.lengths().length;
        double tol = 1e-5 * Math.sqrt(STEPS * batch * c.layers() / 4.0);
        SplittableRandom random = new SplittableRandom(c.toString().hashCode());
        RnnWeights w = RnnWeights.uniform(a, 5);
        boolean lstm = c.cell().hasCellState();
        FloatTensor x = Tensors.uniform(a.srcLayerShape(STEPS, batch), random);
        FloatTensor h0 = Tensors.uniform(a.iterShape(batch), random), c0 = lstm ? Tensors.uniform(a.iterShape(batch), random) : null;
        FloatTensor dy = Tensors.uniform(a.dstLayerShape(STEPS, batch), random);
        FloatTensor dhn = c.finalStates() ? Tensors.uniform(a.iterShape(batch), random) : null;
        FloatTensor dcn = c.finalStates() && lstm ? Tensors.uniform(a.iterShape(batch), random) : null;
        Run want = new Run(a, batch, c), got = new Run(a, batch, c);
        want.run(Backends.reference(), w, x, h0, c0, dy, dhn, dcn);
        got.run(new OneDnnBackend(), w, x, h0, c0, dy, dhn, dcn);
        for (int i = 0; i < want.outputs.size(); i++) {
            assertClose(want.names.get(i), want.outputs.get(i), got.outputs.get(i), tol, tol);
        }
    }

    /** Inference, then training forward and backward, of one backend; every output kept. */
    private static final class Run {
        final List<String> names = new ArrayList<>();
        final List<FloatTensor> outputs = new ArrayList<>();
        private final RnnArchitecture a;
        private final int batch;
        private final Case c;

        Run(RnnArchitecture a, int batch, Case c) {
            this.a = a;
            this.batch = batch;
            this.c = c;
        }

        private FloatTensor out(String name, FloatTensor t) {
            if (t != null) {
                t.fill(Float.NaN); // every element must be written
                names.add(name);
                outputs.add(t);
            }
            return t;
        }

        void run(Backend backend, RnnWeights w, FloatTensor x, FloatTensor h0, FloatTensor c0, FloatTensor dy,
                 FloatTensor dhn, FloatTensor dcn) {
            boolean lstm = c.cell().hasCellState();
            try (PreparedRnn rnn = backend.prepare(a, w); Workspace ws = rnn.newWorkspace()) {
                for (Mode mode : new Mode[] {Mode.INFERENCE, Mode.TRAINING}) { // backward needs the training forward last
                    FloatTensor y = out(mode + " output", FloatTensor.zeros(a.dstLayerShape(STEPS, batch)));
                    // with final states: h_n and (LSTM) c_n; without: h_n only, so LSTM rows may end inside a piece in inference
                    FloatTensor hn = out(mode + " h_n", FloatTensor.zeros(a.iterShape(batch)));
                    FloatTensor cn = out(mode + " c_n", lstm && c.finalStates() ? FloatTensor.zeros(a.iterShape(batch)) : null);
                    rnn.forward(mode, new RnnForward(x, h0, c0, y, hn, cn, c.lengths()), ws);
                }
                FloatTensor dx = out("input gradient", FloatTensor.zeros(a.srcLayerShape(STEPS, batch)));
                FloatTensor dh0 = out("h_0 gradient", FloatTensor.zeros(a.iterShape(batch)));
                FloatTensor dc0 = out("c_0 gradient", lstm ? FloatTensor.zeros(a.iterShape(batch)) : null);
                RnnWeights dw = RnnWeights.zeros(a);
                rnn.backward(new RnnBackward(dy, dhn, dcn, dx, dh0, dc0, dw), ws);
                dw.named().forEach((name, t) -> {
                    names.add(name + " gradient");
                    outputs.add(t);
                });
            }
        }
    }
}

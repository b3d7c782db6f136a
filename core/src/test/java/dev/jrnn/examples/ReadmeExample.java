package dev.jrnn.examples;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;

/** The README's example: an LSTM forward and backward through the engine API (run: ./build example). */
public final class ReadmeExample {

    public static void main(String[] args) {
        // 2-layer LSTM: 16 input channels, 32 hidden, 50 steps, a batch of 4 sequences
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 50, 4, 16, 32);
        RnnWeights weights = RnnWeights.uniform(d, 42); // or RnnWeights.fromNamed(d, pytorchStateDict)

        FloatTensor x = FloatTensor.zeros(d.srcLayerShape()); // [T, N, I]
        for (int t = 0; t < d.steps(); t++) {
            for (int n = 0; n < d.batch(); n++) {
                for (int i = 0; i < d.inputSize(); i++) {
                    x.set(t, n, i, (float) Math.sin(0.3 * t + n + 0.1 * i));
                }
            }
        }
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()); // [T, N, H]
        FloatTensor hn = FloatTensor.zeros(d.iterShape());    // [L, N, H]

        try (PreparedRnn lstm = Backends.prepare(d, weights); // plan once, on the fastest backend here
             Workspace ws = lstm.newWorkspace()) {            // per-thread memory
            lstm.forward(Mode.TRAINING, RnnForward.of(x, y).withFinalState(hn, null), ws);

            // gradients of sum(y) w.r.t. the input and every weight: backpropagation through time
            FloatTensor dy = FloatTensor.zeros(d.dstLayerShape());
            dy.fill(1f);
            FloatTensor dx = FloatTensor.zeros(d.srcLayerShape());
            RnnWeights grads = RnnWeights.zeros(d);
            lstm.backward(RnnBackward.of(dy, dx, grads), ws);

            System.out.printf("%s on backend '%s'%n", d, lstm.backendName());
            System.out.printf("h_n[1, 0, 0..3] = %.5f %.5f %.5f %.5f%n", hn.get(1, 0, 0), hn.get(1, 0, 1),
                    hn.get(1, 0, 2), hn.get(1, 0, 3));
            System.out.printf("d sum(y) / d x[0, 0, 0] = %.6f%n", dx.get(0, 0, 0));
            grads.named().forEach((name, g) -> System.out.printf("|grad %-12s| = %.5f%n", name, norm(g)));
        }
        System.out.print(Backends.report());
    }

    private static double norm(FloatTensor t) {
        double sum = 0;
        for (float v : t.toArray()) {
            sum += (double) v * v;
        }
        return Math.sqrt(sum);
    }
}

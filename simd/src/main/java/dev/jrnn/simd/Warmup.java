package dev.jrnn.simd;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Has the JIT compile the batch-1 path (one sequence, one step: Gemm's row kernel, the cells on one
 * row, a one-row dense product) before a first streaming step or generated token needs it: a
 * daemon thread runs it on small private stacks, once per JVM, from the first simd plan on.
 * Batched work (training) never runs these branches, and until C2 compiles a Vector API method it
 * boxes every vector. Measured on a Zen 5 (2 vCPUs), the demo's first 400 characters after 200
 * training steps: see bench/RESULTS.md. {@code -Djrnn.simd.warmup=false} turns it off.
 */
final class Warmup {

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** Calls per cell: past C2's thresholds with the launcher's scaling, and well into C1 without it. */
    private static final int CALLS = 600;

    private Warmup() {
    }

    static void start() {
        if (!Boolean.parseBoolean(System.getProperty("jrnn.simd.warmup", "true")) || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread thread = new Thread(Warmup::run, "jrnn-simd-warmup");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    private static void run() {
        try {
            exercise();
        } catch (RuntimeException | Error e) {
            // only an optimisation: a real call on this path reports whatever failed here
        }
    }

    private static void exercise() {
        float[] x = new float[48], w = new float[70 * 48], y = new float[70];
        for (CellKind cell : new CellKind[] {CellKind.LSTM, CellKind.GRU, CellKind.RNN_TANH}) {
            RnnDescriptor d = new RnnDescriptor(cell, 1, Direction.UNIDIRECTIONAL, 1, 1, 16, 64);
            FloatTensor in = FloatTensor.zeros(d.srcLayerShape()), out = FloatTensor.zeros(d.dstLayerShape());
            try (SimdRnn rnn = new SimdRnn(d.architecture(), RnnWeights.uniform(d, 1), WorkerPool.shared(), 1);
                 Workspace ws = rnn.newWorkspace()) {
                for (int i = 0; i < CALLS; i++) {
                    rnn.forward(Mode.INFERENCE, RnnForward.of(in, out), ws);
                    SimdDense.shared().gemm(false, true, 1, 70, 48, 1f, x, 0, 48, w, 0, 48, 0f, y, 0, 70, null, 0);
                }
            }
        }
    }
}

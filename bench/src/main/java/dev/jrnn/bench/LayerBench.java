package dev.jrnn.bench;

import dev.jrnn.core.rnn.BFloat16;
import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.runtime.RacingRnn;
import dev.jrnn.core.runtime.Use;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The layer workloads W1-W8 on each backend: milliseconds per inference forward (or per training
 * step for W5). Before measuring, the backend's output is checked against the reference backend;
 * a mismatch fails the run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms2g", "-Xmx2g"})
public class LayerBench {

    @Param({"W1", "W2", "W3", "W4_GRU", "W4_RNN", "W5", "W6", "W7", "W8"})
    public Workload workload;

    /** A backend by name, or {@code auto}: what a user gets, a race on the measured calls (or the decision remembered from an earlier one). */
    @Param({"simd", "onednn"})
    public String backend;

    @Param({"1"})
    public int threads;

    /**
     * How the weights are stored: {@code float32}, or {@code bf16} / {@code int8} on a backend that
     * runs them (inference workloads only; {@code jrnn backends} lists them). Another combination
     * fails its trial with the backend's refusal. E.g. {@code -p precision=float32,bf16}.
     */
    @Param({"float32"})
    public String precision;

    private PreparedRnn rnn;
    private Workspace ws;
    private RnnForward io;
    private RnnBackward grads;

    @Setup(Level.Trial)
    public void setUp() {
        Parallelism.setThreads(threads);
        RnnDescriptor d = workload.descriptor;
        SplittableRandom random = new SplittableRandom(42);
        RnnWeights weights = RnnWeights.uniform(d, 7);
        FloatTensor x = uniform(d.srcLayerShape().dims(), random);
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape());
        io = RnnForward.of(x, y).withFinalState(FloatTensor.zeros(d.iterShape()), null);
        grads = RnnBackward.of(uniform(d.dstLayerShape().dims(), random), FloatTensor.zeros(d.srcLayerShape()),
                RnnWeights.zeros(d));
        Precision p = Precision.parse(precision);
        // int8 on onednn quantizes the inputs to a range fixed at prepare: these inputs' own
        rnn = Backends.selector().prepare(backend, d, weights, workload.training ? Use.TRAINING : Use.INFERENCE, p,
                p == Precision.INT8 ? Calibration.of(x) : null);
        ws = rnn.newWorkspace();
        // bf16 computes on its rounded weights: the reference runs those, in float32
        verify(d, p == Precision.BF16 ? BFloat16.roundMatrices(weights) : weights, x, tolerance(p, rnn));
        if (!backend.equals("auto")) { // what ran (simd: its register tile, forced, default or planned in this fork)
            System.out.println(backend + " (" + p + "): " + Backends.named(backend).implementation());
        }
    }

    /**
     * How far the output may be from the reference's: 1e-4 in float32 and for simd's bf16 (on the
     * rounded weights, in float32); oneDNN's bf16 also rounds the activations, and its int8
     * quantizes them, so about five times the largest difference its accuracy tests measured on
     * W1-W8 (OneDnnPrecisionAccuracyTest: 3.9e-3 and 6.8e-3).
     */
    private static double tolerance(Precision p, PreparedRnn rnn) {
        return p == Precision.INT8 ? 3e-2 : p == Precision.BF16 && !rnn.backendName().equals("simd") ? 2e-2 : 1e-4;
    }

    /** The backend's output against the reference backend's, outside any measurement. */
    private void verify(RnnDescriptor d, RnnWeights weights, FloatTensor x, double tolerance) {
        rnn.forward(Mode.INFERENCE, io, ws);
        checkAgainstReference(backend, d, weights, x, io.dstLayer().toArray(), tolerance);
    }

    /** Throws unless {@code output} ({@code [T, N, D*H]}) is the reference backend's to 1e-4. */
    static void checkAgainstReference(String who, RnnDescriptor d, RnnWeights weights, FloatTensor x, float[] output) {
        checkAgainstReference(who, d, weights, x, output, 1e-4);
    }

    /** Throws unless {@code output} ({@code [T, N, D*H]}) is the reference backend's to {@code tolerance}. */
    static void checkAgainstReference(String who, RnnDescriptor d, RnnWeights weights, FloatTensor x, float[] output,
                                      double tolerance) {
        float[] want;
        try (PreparedRnn ref = Backends.reference().prepare(d, weights)) {
            want = ref.forward(x, null, null).output().toArray();
        }
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - output[i]));
        }
        if (!(worst <= tolerance)) {
            throw new IllegalStateException(who + " differs from the reference on " + d + " by " + worst);
        }
    }

    static FloatTensor uniform(int[] dims, SplittableRandom random) {
        FloatTensor t = FloatTensor.zeros(dims);
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) random.nextDouble(-1, 1));
        }
        return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.println(backend + " ran on: " + RacingRnn.runningOn(rnn)); // auto: the race's winner, or still racing
        ws.close();
        rnn.close();
        Parallelism.setThreads(0);
    }

    @Benchmark
    public FloatTensor run() {
        if (workload.training) {
            rnn.forward(Mode.TRAINING, io, ws);
            rnn.backward(grads, ws);
        } else {
            rnn.forward(Mode.INFERENCE, io, ws);
        }
        return io.dstLayer();
    }
}

package dev.jrnn.bench;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.train.Optimizer;
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
 * {@code jrnn demo}'s training step at its shape: an LSTM with 32 inputs and 256 hidden units over
 * 32 streams of 64 characters (T 64, N 32), 83 characters. {@code lstm}: the recurrent layer's
 * training forward and backward alone (from a carried state, with the input's and the weights'
 * gradients, about 3.6 GFLOP); {@code trainStep}: the whole {@link LanguageModel#trainStep}
 * (embedding, LSTM, output layer, softmax cross-entropy, clipping, Adam) as the demo runs it.
 * Milliseconds per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms1g", "-Xmx1g"})
public class DemoStepBench {

    static final int STEPS = 64, BATCH = 32, EMBEDDING = 32, HIDDEN = 256, VOCABULARY = 83;

    @Param({"simd"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    private PreparedRnn rnn;
    private Workspace ws;
    private RnnForward io;
    private RnnBackward grads;
    private LanguageModel lm;
    private Optimizer adam;
    private int[][] in, target;
    private LanguageModel.State carry;

    /** Matrix-product FLOPs of the LSTM's training forward and backward: {@code 3 * 2 T N 4H (I + H)}. */
    public static double lstmFlops() {
        return 3 * 2.0 * STEPS * BATCH * 4 * HIDDEN * (EMBEDDING + HIDDEN);
    }

    @Setup(Level.Trial)
    public void setUp() {
        Parallelism.setThreads(threads);
        RnnArchitecture a = new RnnArchitecture(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, EMBEDDING, HIDDEN);
        SplittableRandom random = new SplittableRandom(42);
        FloatTensor x = LayerBench.uniform(a.srcLayerShape(STEPS, BATCH).dims(), random);
        FloatTensor h0 = LayerBench.uniform(a.iterShape(BATCH).dims(), random);
        FloatTensor c0 = LayerBench.uniform(a.iterShape(BATCH).dims(), random);
        io = new RnnForward(x, h0, c0, FloatTensor.zeros(a.dstLayerShape(STEPS, BATCH)),
                FloatTensor.zeros(a.iterShape(BATCH)), FloatTensor.zeros(a.iterShape(BATCH)), null);
        grads = new RnnBackward(LayerBench.uniform(a.dstLayerShape(STEPS, BATCH).dims(), random), null, null,
                FloatTensor.zeros(a.srcLayerShape(STEPS, BATCH)), null, null, RnnWeights.zeros(a));
        rnn = Backends.named(backend).prepare(a, RnnWeights.uniform(a, 7));
        ws = rnn.newWorkspace();

        lm = new LanguageModel(CellKind.LSTM, VOCABULARY, EMBEDDING, HIDDEN, 1, 0.0, 7).backend(backend);
        adam = Optimizer.adam(lm, 2e-3);
        in = new int[STEPS][BATCH];
        target = new int[STEPS][BATCH];
        for (int t = 0; t < STEPS; t++) {
            for (int n = 0; n < BATCH; n++) {
                in[t][n] = random.nextInt(VOCABULARY);
                target[t][n] = random.nextInt(VOCABULARY);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ws.close();
        rnn.close();
        lm.close();
        Parallelism.setThreads(0);
    }

    @Benchmark
    public FloatTensor lstm() {
        rnn.forward(Mode.TRAINING, io, ws);
        rnn.backward(grads, ws);
        return grads.diffSrcLayer();
    }

    @Benchmark
    public double trainStep() {
        LanguageModel.Step s = lm.trainStep(in, target, carry, adam, 5.0);
        carry = s.state();
        return s.loss();
    }
}

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
 * Issue 15's mixed-length batch: a GRU (I 64, H 128) over 32 sequences padded to T = 50 whose
 * lengths are 19..50 (69% of the equal-length batch's steps), in one call with per-sequence
 * lengths, against the batch of 32 equal lengths of 50. Milliseconds per inference forward, or per
 * training step (forward and backward).
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms1g", "-Xmx1g"})
public class MixedLengthBench {

    static final int STEPS = 50, BATCH = 32;

    @Param({"simd", "onednn"})
    public String backend;

    @Param({"equal", "mixed"})
    public String lengths;

    @Param({"inference", "training"})
    public String mode;

    @Param({"1"})
    public int threads;

    private PreparedRnn rnn;
    private Workspace ws;
    private RnnForward io;
    private RnnBackward grads;

    /** 19..50, each once, in a scrambled order. */
    static int[] mixed() {
        int[] lengths = new int[BATCH];
        for (int n = 0; n < BATCH; n++) {
            lengths[n] = 19 + (n * 13) % BATCH;
        }
        return lengths;
    }

    @Setup(Level.Trial)
    public void setUp() {
        Parallelism.setThreads(threads);
        RnnArchitecture a = new RnnArchitecture(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 64, 128);
        SplittableRandom random = new SplittableRandom(42);
        FloatTensor x = LayerBench.uniform(a.srcLayerShape(STEPS, BATCH).dims(), random);
        io = RnnForward.of(x, FloatTensor.zeros(a.dstLayerShape(STEPS, BATCH)))
                .withLengths(lengths.equals("mixed") ? mixed() : null);
        grads = RnnBackward.of(LayerBench.uniform(a.dstLayerShape(STEPS, BATCH).dims(), random),
                FloatTensor.zeros(a.srcLayerShape(STEPS, BATCH)), RnnWeights.zeros(a));
        rnn = Backends.named(backend).prepare(a, RnnWeights.uniform(a, 7));
        ws = rnn.newWorkspace();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ws.close();
        rnn.close();
        Parallelism.setThreads(0);
    }

    @Benchmark
    public FloatTensor run() {
        if (mode.equals("training")) {
            rnn.forward(Mode.TRAINING, io, ws);
            rnn.backward(grads, ws);
        } else {
            rnn.forward(Mode.INFERENCE, io, ws);
        }
        return io.dstLayer();
    }
}

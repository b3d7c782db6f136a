package dev.jrnn.bench;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.models.stream.StreamState;
import dev.jrnn.models.stream.StreamingRnn;
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
 * Latency of one streaming step ({@link StreamingRnn#step}) at batch 1, the service case: a 2-layer
 * LSTM, 64 inputs, {@code hidden} units, one thread. Run with {@code -prof gc}: the allocation per
 * step ({@code gc.alloc.rate.norm}) must be 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class StreamingBench {

    @Param({"simd", "onednn"})
    public String backend;

    @Param({"64", "256"})
    public int hidden;

    private StreamingRnn model;
    private StreamState state;
    private float[] x, y;
    private int t;

    @Setup(Level.Trial)
    public void setUp() {
        Parallelism.setThreads(1);
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 1, 1, 64, hidden);
        model = StreamingRnn.prepare(d, RnnWeights.uniform(d, 3), backend);
        state = model.newState();
        x = new float[64];
        y = new float[hidden];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        state.close();
        model.close();
        Parallelism.setThreads(0);
    }

    @Benchmark
    public float[] step() {
        x[t++ & 63] = (t & 7) * 0.1f; // a different input each step
        model.step(x, state, y);
        return y;
    }
}

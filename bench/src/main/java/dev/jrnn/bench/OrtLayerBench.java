package dev.jrnn.bench;

import ai.onnxruntime.OrtException;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The inference workloads on ONNX Runtime Java, the peer of {@link LayerBench}: same weights and
 * inputs (same seeds), output checked against jrnn's reference backend before measuring. Run both
 * in one JMH invocation to state ratios. (ONNX Runtime has no RNN training, so no W5.)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms2g", "-Xmx2g"})
public class OrtLayerBench {

    @Param({"W1", "W2", "W3", "W4_GRU", "W4_RNN", "W6", "W7", "W8"})
    public Workload workload;

    @Param({"1"})
    public int threads;

    private OrtRunner ort;

    @Setup(Level.Trial)
    public void setUp() throws OrtException {
        RnnDescriptor d = workload.descriptor;
        SplittableRandom random = new SplittableRandom(42);
        RnnWeights weights = RnnWeights.uniform(d, 7);
        FloatTensor x = LayerBench.uniform(d.srcLayerShape().dims(), random);
        ort = new OrtRunner(d, weights, x, threads);
        LayerBench.checkAgainstReference("ONNX Runtime", d, weights, x, ort.runAsJrnnLayout());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        ort.close();
    }

    @Benchmark
    public float[] run() throws OrtException {
        return ort.run();
    }
}

package dev.jrnn.bench;

import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Linear;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A linear layer's forward + backward (training) and its one-row forward (generation), the
 * plain-Java loops {@code Linear} had before the dense kernels ("plain", kept here as
 * {@link PlainLinear}) against {@code Linear} on the simd kernels ("simd"). Shapes
 * {@code rows x in x out}: {@code jrnn translate}'s output layer (64 pairs of about 12 target
 * tokens, hidden 128, 3,000 words) and {@code jrnn demo}'s (32 streams of 64 characters, hidden
 * 256, its alphabet of 83 characters). Microseconds per call; threads as {@code -Djrnn.threads}.
 * The plain path is timed without the transpose it redid after every optimizer step.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@State(Scope.Benchmark)
public class DenseBench {

    @Param({"768x128x3000", "2048x256x83"})
    public String shape;

    @Param({"plain", "simd"})
    public String impl;

    private Linear linear;
    private PlainLinear plain;
    private FloatTensor x, dy;
    private float[] row, out;

    @Setup
    public void setUp() {
        String[] s = shape.split("x");
        int rows = Integer.parseInt(s[0]), in = Integer.parseInt(s[1]), outs = Integer.parseInt(s[2]);
        SplittableRandom random = new SplittableRandom(1);
        x = FloatTensor.of(random(random, rows * in), rows, in);
        dy = FloatTensor.of(random(random, rows * outs), rows, outs);
        row = random(random, in);
        out = new float[outs];
        linear = new Linear(in, outs, 2);
        switch (impl) {
            case "plain" -> plain = new PlainLinear(linear);
            case "simd" -> linear.dense(DenseBackends.kernels("simd"));
            default -> throw new IllegalArgumentException("impl must be plain or simd, got " + impl);
        }
    }

    private static float[] random(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextDouble(-1, 1);
        }
        return a;
    }

    /** One training step's work on the layer: {@code y = x W^T + b}, then {@code dW, db, dx}. */
    @Benchmark
    public Object forwardBackward() {
        if (plain != null) {
            plain.forward(x);
            return plain.backward(dy);
        }
        linear.forward(x);
        return linear.backward(dy);
    }

    /** One generated token's output row: {@code y = W x + b}. */
    @Benchmark
    public float[] forwardRow() {
        if (plain != null) {
            plain.forwardRow(row, out);
        } else {
            linear.forwardRow(row, out);
        }
        return out;
    }

    /** {@code Linear} as it was before the dense kernels (main at 4ed768c): plain loops that C2 vectorizes. */
    static final class PlainLinear {
        private final int in, out;
        private final float[] w, b, dw, db, transposed;
        private float[] lastInput;
        private int lastRows;

        PlainLinear(Linear layer) {
            in = layer.inputSize();
            out = layer.outputSize();
            w = layer.weight().values();
            b = layer.bias().values();
            dw = layer.weight().grads();
            db = layer.bias().grads();
            transposed = new float[w.length];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    transposed[i * out + o] = w[o * in + i];
                }
            }
        }

        float[] forward(FloatTensor x) {
            float[] xs = x.toArray();
            int rows = xs.length / in;
            float[] ys = new float[rows * out];
            for (int r = 0; r < rows; r++) {
                int yr = r * out, xr = r * in;
                System.arraycopy(b, 0, ys, yr, out);
                for (int i = 0; i < in; i++) {
                    float xi = xs[xr + i];
                    if (xi == 0f) {
                        continue;
                    }
                    int ti = i * out;
                    for (int o = 0; o < out; o++) {
                        ys[yr + o] += xi * transposed[ti + o];
                    }
                }
            }
            lastInput = xs;
            lastRows = rows;
            return ys;
        }

        void forwardRow(float[] x, float[] y) {
            System.arraycopy(b, 0, y, 0, out);
            for (int i = 0; i < in; i++) {
                float xi = x[i];
                int ti = i * out;
                for (int o = 0; o < out; o++) {
                    y[o] += xi * transposed[ti + o];
                }
            }
        }

        float[] backward(FloatTensor dy) {
            float[] d = dy.toArray();
            float[] dx = new float[lastRows * in];
            for (int r = 0; r < lastRows; r++) {
                for (int o = 0; o < out; o++) {
                    float g = d[r * out + o];
                    if (g == 0f) {
                        continue;
                    }
                    db[o] += g;
                    int wo = o * in, xr = r * in;
                    for (int i = 0; i < in; i++) {
                        dw[wo + i] += g * lastInput[xr + i];
                        dx[xr + i] += g * w[wo + i];
                    }
                }
            }
            return dx;
        }
    }
}

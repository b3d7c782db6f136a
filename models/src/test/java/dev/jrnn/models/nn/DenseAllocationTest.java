package dev.jrnn.models.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Once a shape has been seen, the dense part of a training step allocates nothing: the bytes this
 * thread allocates are counted by the JVM ({@code ThreadMXBean}) over many calls after a warm-up.
 */
class DenseAllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** A few hundred bytes: a stray object the JIT has not yet removed, not a buffer per call. */
    private static final long TOLERANCE = 512;

    /**
     * Bytes allocated by {@code calls} runs of {@code r}, after warm-ups; a few rounds while C2
     * compiles (until it has, Vector API code runs interpreted and boxes every vector).
     */
    private static long allocated(Runnable r, int calls, long limit) {
        long bytes = Long.MAX_VALUE;
        for (int round = 0; round < 10 && bytes > limit; round++) {
            for (int i = 0; i < 20 * calls; i++) {
                r.run();
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < calls; i++) {
                r.run();
            }
            bytes = THREADS.getCurrentThreadAllocatedBytes() - before;
        }
        return bytes;
    }

    private static FloatTensor random(SplittableRandom random, int... dims) {
        FloatTensor t = FloatTensor.zeros(dims);
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) random.nextDouble(-1, 1));
        }
        return t;
    }

    @org.junit.jupiter.api.Test
    void dropoutForwardAndBackwardAllocateNothing() {
        Dropout dropout = new Dropout(0.3, 5);
        SplittableRandom random = new SplittableRandom(3);
        FloatTensor x = random(random, 8, 4, 65), dy = random(random, 8, 4, 65);
        long bytes = allocated(() -> dropout.backward(dropout.forward(x, true)), 200, TOLERANCE);
        assertTrue(bytes <= TOLERANCE, bytes + " bytes allocated by 200 dropout forward + backward calls");
    }

    @ParameterizedTest(name = "{0}: rows {1}, in {2}, out {3}")
    @CsvSource({"simd, 16, 33, 70", "simd, 64, 128, 300", "simd, 1, 40, 17", "reference, 9, 17, 33"})
    void repeatedLinearForwardAndBackwardAllocateNothing(String backend, int rows, int in, int out) {
        DenseKernels kernels = DenseBackends.kernels(backend);
        assertEquals(backend, kernels.name());
        Linear linear = new Linear(in, out, 1).dense(kernels);
        SplittableRandom random = new SplittableRandom(2);
        FloatTensor x = random(random, rows, in), dy = random(random, rows, out);
        long bytes = allocated(() -> {
            linear.forward(x);
            linear.backward(dy);
        }, 200, TOLERANCE);
        assertTrue(bytes <= TOLERANCE, bytes + " bytes allocated by 200 forward + backward calls on " + backend);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"simd", "reference"})
    void aWholeDenseTrainingStepAllocatesNothing(String backend) {
        DenseKernels kernels = DenseBackends.kernels(backend);
        int steps = 6, batch = 5, vocabulary = 37, dim = 9;
        Embedding embedding = new Embedding(vocabulary, dim, 1).dense(kernels);
        Linear head = new Linear(dim, vocabulary, 2).dense(kernels);
        List<Parameter> parameters = List.of(embedding.weight(), head.weight(), head.bias());
        // one optimizer per layer: their parameters are both named "weight" outside a model
        Optimizer adamEmbedding = Optimizer.adam(List.of(embedding.weight()), 1e-3);
        Optimizer adamHead = Optimizer.adam(List.of(head.weight(), head.bias()), 1e-3);
        SplittableRandom random = new SplittableRandom(3);
        int[][] tokens = new int[steps][batch];
        int[] targets = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                tokens[t][n] = random.nextInt(vocabulary);
                targets[t * batch + n] = n == 0 ? -1 : random.nextInt(vocabulary); // some ignored rows
            }
        }
        FloatTensor[] flat = new FloatTensor[1];
        Runnable step = () -> {
            adamEmbedding.zeroGrad();
            adamHead.zeroGrad();
            FloatTensor z = head.forward(embedding.forward(tokens));
            if (flat[0] == null) {
                flat[0] = z.reshape(steps * batch, vocabulary); // the head's buffer: the same view every step
            }
            Losses.Loss loss = Losses.softmaxCrossEntropy(flat[0], targets, -1, flat[0]);
            embedding.backward(head.backward(z));
            Optimizer.clipGradNorm(parameters, 1.0);
            adamEmbedding.step();
            adamHead.step();
            assertTrue(Double.isFinite(loss.value()));
        };
        // the Loss record each step returns may survive escape analysis: allow 32 bytes a step beyond the tolerance
        long limit = TOLERANCE + 100 * 32;
        long bytes = allocated(step, 100, limit);
        assertTrue(bytes <= limit, bytes + " bytes allocated by 100 dense training steps on " + backend);
    }
}

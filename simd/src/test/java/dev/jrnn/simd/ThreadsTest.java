package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Results are bitwise identical for 1 and 2 threads, and concurrent callers of one prepared stack agree. */
class ThreadsTest {

    private static final WorkerPool POOL = new WorkerPool(1); // two parties at most

    static List<RnnDescriptor> shapes() {
        return List.of(
                // unidirectional, large enough per step to split hidden units between threads
                new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 5, 3, 40, 150),
                new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 4, 1, 20, 300),
                new RnnDescriptor(CellKind.RNN_TANH, 2, Direction.UNIDIRECTIONAL, 3, 7, 33, 260),
                // bidirectional: one direction per thread
                new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 6, 2, 9, 17),
                new RnnDescriptor(CellKind.RNN_RELU, 3, Direction.BIDIRECTIONAL, 3, 4, 5, 33));
    }

    private record Result(float[] y, float[] hn, float[] dx, float[] dh0, Map<String, float[]> dw) {
    }

    private static Result run(RnnDescriptor d, int threads, int expectedParties) {
        SplittableRandom random = new SplittableRandom(11);
        RnnWeights w = RnnWeights.uniform(d, 3);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), dy = Tensors.uniform(d.dstLayerShape(), random);
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), hn = FloatTensor.zeros(d.iterShape());
        FloatTensor dx = FloatTensor.zeros(d.srcLayerShape()), dh0 = FloatTensor.zeros(d.iterShape());
        RnnWeights dw = RnnWeights.zeros(d);
        try (SimdRnn rnn = new SimdRnn(d, w, POOL, threads); Workspace ws = rnn.newWorkspace()) {
            assertEquals(expectedParties, rnn.parties(), "threads used by " + d);
            rnn.forward(Mode.TRAINING, RnnForward.of(x, y).withFinalState(hn, null), ws);
            rnn.backward(RnnBackward.of(dy, dx, dw).withInitialStateGradients(dh0, null), ws);
        }
        Map<String, float[]> grads = new java.util.TreeMap<>();
        dw.named().forEach((name, t) -> grads.put(name, t.toArray()));
        return new Result(y.toArray(), hn.toArray(), dx.toArray(), dh0.toArray(), grads);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void oneAndTwoThreadsGiveIdenticalBits(RnnDescriptor d) {
        Result one = run(d, 1, 1), two = run(d, 2, 2);
        assertArrayEquals(one.y(), two.y(), "dstLayer");
        assertArrayEquals(one.hn(), two.hn(), "dstIter");
        assertArrayEquals(one.dx(), two.dx(), "diffSrcLayer");
        assertArrayEquals(one.dh0(), two.dh0(), "diffSrcIter");
        one.dw().forEach((name, g) -> assertArrayEquals(g, two.dw().get(name), name));
    }

    @Test
    void smallBatchOneStacksStayOnOneThread() {
        RnnDescriptor w1 = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 50, 1, 64, 128);
        try (SimdRnn rnn = new SimdRnn(w1, RnnWeights.uniform(w1, 1), POOL, 2)) {
            assertEquals(1, rnn.parties());
        }
    }

    @Test
    void concurrentCallersOfOnePreparedStackAgree() throws Exception {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 2, Direction.UNIDIRECTIONAL, 8, 2, 16, 200);
        RnnWeights w = RnnWeights.uniform(d, 5);
        try (SimdRnn rnn = new SimdRnn(d, w, POOL, 2); ExecutorService callers = Executors.newFixedThreadPool(4)) {
            List<FloatTensor> inputs = new java.util.ArrayList<>();
            List<float[]> alone = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                FloatTensor x = Tensors.uniform(d.srcLayerShape(), new SplittableRandom(i));
                inputs.add(x);
                alone.add(rnn.forward(x, null, null).output().toArray());
            }
            List<Callable<float[]>> jobs = new java.util.ArrayList<>();
            for (int rep = 0; rep < 4; rep++) {
                for (FloatTensor x : inputs) {
                    jobs.add(() -> rnn.forward(x, null, null).output().toArray());
                }
            }
            List<Future<float[]>> results = callers.invokeAll(jobs);
            for (int i = 0; i < results.size(); i++) {
                assertArrayEquals(alone.get(i % inputs.size()), results.get(i).get(), "call " + i);
            }
        }
    }
}

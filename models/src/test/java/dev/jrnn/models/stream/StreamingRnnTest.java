package dev.jrnn.models.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Streaming one step at a time equals running the whole sequence; many threads, one model; no allocation. */
class StreamingRnnTest {

    private static final int T = 23;

    private static float[][] stream(StreamingRnn model, StreamState state, FloatTensor x) {
        float[][] ys = new float[x.dim(0)][model.descriptor().hiddenSize()];
        float[] in = new float[model.descriptor().inputSize()];
        for (int t = 0; t < x.dim(0); t++) {
            for (int i = 0; i < in.length; i++) {
                in[i] = x.get(t, 0, i);
            }
            model.step(in, state, ys[t]);
        }
        return ys;
    }

    @ParameterizedTest
    @EnumSource(CellKind.class)
    void stepsEqualTheWholeSequence(CellKind cell) {
        RnnDescriptor d = new RnnDescriptor(cell, 2, Direction.UNIDIRECTIONAL, T, 1, 5, 9);
        RnnWeights w = RnnWeights.uniform(d, 4);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), new SplittableRandom(2));
        PreparedRnn.Result whole;
        try (PreparedRnn ref = Backends.reference().prepare(d, w)) {
            whole = ref.forward(x, null, null);
        }
        try (StreamingRnn model = StreamingRnn.prepare(d, w, "simd"); StreamState state = model.newState()) {
            float[][] ys = stream(model, state, x);
            for (int t = 0; t < T; t++) {
                for (int j = 0; j < 9; j++) {
                    assertEquals(whole.output().get(t, 0, j), ys[t][j], 1e-5, "step " + t);
                }
            }
            assertArrayEquals(whole.hn().toArray(), state.hidden().toArray(), 1e-5f);
            if (cell == CellKind.LSTM) {
                assertArrayEquals(whole.cn().toArray(), state.cell().toArray(), 1e-5f);
            }
            // a fork continues like the original; a reset starts afresh
            try (StreamState fork = model.newState()) {
                fork.copyFrom(state);
                float[] a = new float[9], b = new float[9];
                float[] in = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
                model.step(in, state, a);
                model.step(in, fork, b);
                assertArrayEquals(a, b);
                fork.reset();
                assertArrayEquals(stream(model, fork, x)[T - 1], ys[T - 1]);
            }
        }
    }

    @Test
    void manyThreadsStreamThroughOneModelAsEachWouldAlone() throws Exception {
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 200, 1, 8, 16);
        RnnWeights w = RnnWeights.uniform(d, 9);
        List<FloatTensor> inputs = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 6; i++) {
            inputs.add(Tensors.uniform(d.srcLayerShape(), random));
        }
        try (StreamingRnn model = StreamingRnn.prepare(d, w, "simd")) {
            List<float[][]> alone = new ArrayList<>();
            for (FloatTensor x : inputs) {
                try (StreamState s = model.newState()) {
                    alone.add(stream(model, s, x));
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(inputs.size());
            try {
                List<Future<float[][]>> together = new ArrayList<>();
                for (FloatTensor x : inputs) {
                    together.add(pool.submit(() -> {
                        try (StreamState s = model.newState()) {
                            return stream(model, s, x);
                        }
                    }));
                }
                for (int i = 0; i < inputs.size(); i++) {
                    float[][] got = together.get(i).get();
                    for (int t = 0; t < got.length; t++) {
                        assertArrayEquals(alone.get(i)[t], got[t], "stream " + i + " step " + t);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aStepAllocatesNothing() {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 2, Direction.UNIDIRECTIONAL, 1, 1, 16, 32);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (StreamingRnn model = StreamingRnn.prepare(d, RnnWeights.uniform(d, 1), "simd");
             StreamState state = model.newState()) {
            float[] x = new float[16], y = new float[32];
            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < 10 && allocated > 0; round++) {
                for (int i = 0; i < 20_000; i++) {
                    x[i % 16] = (float) Math.sin(i);
                    model.step(x, state, y);
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 1000; i++) {
                    model.step(x, state, y);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "bytes allocated by 1000 steps");
        }
    }

    @Test
    void misuseIsRefused() {
        RnnDescriptor bi = new RnnDescriptor(CellKind.GRU, 1, Direction.BIDIRECTIONAL, 1, 1, 3, 4);
        assertThrows(IllegalArgumentException.class, () -> StreamingRnn.prepare(bi, RnnWeights.uniform(bi, 1), "simd"));
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 1, 1, 3, 4);
        try (StreamingRnn a = StreamingRnn.prepare(d, RnnWeights.uniform(d, 1), "simd");
             StreamingRnn b = StreamingRnn.prepare(d, RnnWeights.uniform(d, 2), "simd");
             StreamState sb = b.newState()) {
            assertThrows(IllegalArgumentException.class, () -> a.step(new float[3], sb, new float[4]));
            assertThrows(IllegalArgumentException.class, () -> a.step(new float[2], sb, new float[4]));
        }
    }
}

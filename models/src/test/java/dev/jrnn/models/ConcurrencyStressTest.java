package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import dev.jrnn.models.stream.StreamState;
import dev.jrnn.models.stream.StreamingRnn;
import dev.jrnn.models.train.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The thread-safety contract under load for a fixed time: {@value #THREADS} threads share one
 * trained classifier (predicting) and one streaming model (each thread its own {@link StreamState}),
 * mixing the two at random, and every prediction and every stream step is bitwise what one thread
 * alone gets. {@code -Djrnn.stressSeconds=S} per backend (the build runs 3).
 */
class ConcurrencyStressTest {

    static final int THREADS = 4, STREAMS = 4, STEPS = 40;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"reference", "simd", "onednn"})
    void threadsSharingModelsForAFixedTimeGetOneThreadsBits(String backend) throws Exception {
        Assumptions.assumeTrue(Backends.selector().availability(backend).available(), backend + " is not available here");
        long nanos = (long) (Double.parseDouble(System.getProperty("jrnn.stressSeconds", "3")) * 1e9);
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, STEPS, 1, 6, 24);
        SplittableRandom random = new SplittableRandom(5);
        List<FloatTensor> inputs = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            inputs.add(Tensors.uniform(d.srcLayerShape(), random));
        }
        try (ServingTest.Subject served = ServingTest.subject("classifier", backend);
             StreamingRnn streaming = StreamingRnn.prepare(d, RnnWeights.uniform(d, 8), backend)) {
            served.trainStep(Optimizer.adam(served.model(), 1e-2));
            // one thread first, until the JIT has compiled the paths: simd's exp and tanh may differ by an
            // ulp between the Vector API's fallback and its compiled intrinsics, which is not what this tests
            for (long warm = System.nanoTime() + nanos / 2; System.nanoTime() < warm; ) {
                served.predict(random.nextInt(ServingTest.INPUTS));
                try (StreamState s = streaming.newState()) {
                    stream(streaming, s, inputs.get(random.nextInt(STREAMS)));
                }
            }
            float[][] predicted = new float[ServingTest.INPUTS][];
            for (int i = 0; i < predicted.length; i++) {
                predicted[i] = served.predict(i);
            }
            List<float[][]> streamed = new ArrayList<>();
            for (FloatTensor x : inputs) {
                try (StreamState s = streaming.newState()) {
                    streamed.add(stream(streaming, s, x));
                }
            }

            AtomicLong predictions = new AtomicLong(), steps = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long end = System.nanoTime() + nanos;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                SplittableRandom own = new SplittableRandom(100 + t);
                threads.add(Thread.ofPlatform().start(() -> {
                    try (StreamState state = streaming.newState()) {
                        while (System.nanoTime() < end && failure.get() == null) {
                            if (own.nextBoolean()) {
                                int i = own.nextInt(predicted.length);
                                assertArrayEquals(predicted[i], served.predict(i), "prediction " + i);
                                predictions.incrementAndGet();
                            } else {
                                int i = own.nextInt(inputs.size());
                                state.reset();
                                float[][] got = stream(streaming, state, inputs.get(i));
                                for (int s = 0; s < got.length; s++) {
                                    assertArrayEquals(streamed.get(i)[s], got[s], "stream " + i + " step " + s);
                                }
                                steps.addAndGet(got.length);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(backend + ": a thread's result differs from one thread's", failure.get());
            }
            System.out.printf("%s: %d threads for %.1f s: %d predictions and %d stream steps, every one bitwise one thread's%n",
                    backend, THREADS, nanos / 1e9, predictions.get(), steps.get());
            assertTrue(predictions.get() > 0 && steps.get() > 0, "both kinds of call ran");
        }
    }

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
}

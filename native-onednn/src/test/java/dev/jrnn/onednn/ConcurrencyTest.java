package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One prepared stack used from several Java threads at once, each with its own workspace, gives
 * every thread the results it gets alone (bitwise: the same primitives, the same thread count).
 * Also: {@code -Djrnn.threads} (here {@link Parallelism#setThreads}) at prepare sets oneDNN's OpenMP team size.
 */
class ConcurrencyTest {

    private static final int CALLERS = 4, ROUNDS = 30;

    @AfterEach
    void defaultThreads() {
        Parallelism.setThreads(0);
    }

    private record Job(FloatTensor x, FloatTensor dy) {
    }

    private record Result(float[] y, float[] dx, float[] dwih) {
    }

    private static Result run(PreparedRnn rnn, Workspace ws, Job job) {
        RnnDescriptor d = rnn.architecture().withProblem(job.x().dim(0), job.x().dim(1));
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), dx = FloatTensor.zeros(d.srcLayerShape());
        RnnWeights dw = RnnWeights.zeros(d);
        rnn.forward(Mode.TRAINING, RnnForward.of(job.x(), y), ws);
        rnn.backward(RnnBackward.of(job.dy(), dx, dw), ws);
        return new Result(y.toArray(), dx.toArray(), dw.get(RnnWeights.Param.WEIGHT_IH, 1, 0).toArray());
    }

    @Test
    void oneStackServesSeveralThreadsAtOnce() throws Exception {
        Parallelism.setThreads(2);
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 12, 3, 16, 24);
        SplittableRandom random = new SplittableRandom(7);
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
            jobs.add(new Job(Tensors.uniform(d.srcLayerShape(), random), Tensors.uniform(d.dstLayerShape(), random)));
        }
        try (PreparedRnn rnn = new OneDnnBackend().prepare(d, RnnWeights.uniform(d, 3))) {
            List<Result> alone = new ArrayList<>();
            try (Workspace ws = rnn.newWorkspace()) {
                for (Job job : jobs) {
                    alone.add(run(rnn, ws, job));
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
            try {
                List<Future<List<Result>>> futures = new ArrayList<>();
                for (Job job : jobs) {
                    futures.add(pool.submit(() -> {
                        List<Result> results = new ArrayList<>();
                        try (Workspace ws = rnn.newWorkspace()) {
                            for (int round = 0; round < ROUNDS; round++) {
                                results.add(run(rnn, ws, job));
                            }
                        }
                        return results;
                    }));
                }
                for (int i = 0; i < CALLERS; i++) {
                    for (Result r : futures.get(i).get()) {
                        assertArrayEquals(alone.get(i).y(), r.y(), "output of caller " + i);
                        assertArrayEquals(alone.get(i).dx(), r.dx(), "input gradient of caller " + i);
                        assertArrayEquals(alone.get(i).dwih(), r.dwih(), "weight gradient of caller " + i);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void theThreadCountAtPrepareIsOneDnnsOpenMpTeamSize() {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 3, 2, 4, 5);
        for (int threads : new int[] {1, 3, 2}) {
            Parallelism.setThreads(threads);
            try (PreparedRnn rnn = new OneDnnBackend().prepare(d, RnnWeights.uniform(d, 1))) {
                Parallelism.setThreads(0); // later changes do not reach a prepared stack, as in simd
                omp_h.omp_set_num_threads(7);
                rnn.forward(FloatTensor.zeros(d.srcLayerShape()), null, null);
                assertEquals(threads, omp_h.omp_get_max_threads());
            }
        }
    }
}

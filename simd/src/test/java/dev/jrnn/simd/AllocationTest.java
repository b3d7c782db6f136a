package dev.jrnn.simd;

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
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Forward and backward on a prepared stack allocate nothing once compiled: the bytes this thread
 * allocates over 200 calls after a warm-up are counted by the JVM ({@code ThreadMXBean}). The
 * bench module's {@code -prof gc} measures the same under JMH.
 */
class AllocationTest {

    @ParameterizedTest
    @EnumSource(CellKind.class)
    void steadyStateForwardAndBackwardAllocateNothing(CellKind cell) {
        steadyState(cell, null);
    }

    /** With variable lengths too, and after a larger problem grew the workspace. */
    @ParameterizedTest
    @EnumSource(CellKind.class)
    void variableLengthsAllocateNothingEither(CellKind cell) {
        steadyState(cell, new int[] {2, 6, 1});
    }

    private static void steadyState(CellKind cell, int[] lengths) {
        RnnDescriptor d = new RnnDescriptor(cell, 2, Direction.BIDIRECTIONAL, 6, 3, 10, 20);
        SplittableRandom random = new SplittableRandom(1);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), dy = Tensors.uniform(d.dstLayerShape(), random);
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), hn = FloatTensor.zeros(d.iterShape());
        FloatTensor cn = cell.hasCellState() ? FloatTensor.zeros(d.iterShape()) : null;
        FloatTensor dx = FloatTensor.zeros(d.srcLayerShape()), dh0 = FloatTensor.zeros(d.iterShape());
        RnnWeights dw = RnnWeights.zeros(d);
        RnnForward io = RnnForward.of(x, y).withFinalState(hn, cn).withLengths(lengths);
        RnnBackward grads = RnnBackward.of(dy, dx, dw).withInitialStateGradients(dh0, null);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (SimdRnn rnn = new SimdRnn(d.architecture(), RnnWeights.uniform(d, 2), new WorkerPool(0), 1);
             Workspace ws = rnn.newWorkspace()) {
            if (lengths != null) { // grow the workspace first: a smaller problem then reuses its buffers
                RnnDescriptor big = d.withSteps(9).withBatch(5);
                rnn.forward(Mode.TRAINING, RnnForward.of(Tensors.uniform(big.srcLayerShape(), random),
                        FloatTensor.zeros(big.dstLayerShape())), ws);
                rnn.backward(RnnBackward.of(Tensors.uniform(big.dstLayerShape(), random), null, null), ws);
            }
            long allocated = Long.MAX_VALUE;
            // C2 needs a while to compile (and scalar-replace the vectors of) every path; try a few rounds
            for (int round = 0; round < 10 && allocated > 0; round++) {
                for (int i = 0; i < 2000; i++) {
                    rnn.forward(Mode.TRAINING, io, ws);
                    rnn.backward(grads, ws);
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    rnn.forward(Mode.TRAINING, io, ws);
                    rnn.backward(grads, ws);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "bytes allocated by 200 forward + backward calls of " + d);
        }
    }
}

package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.core.testing.Tensors;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** oneDNN's primitives are per problem size; a workspace keeps a bounded number of sizes however many arrive. */
class BoundedShapesTest {

    @Test
    void manyDistinctSizesKeepABoundedNumberOfExecutions() {
        RnnArchitecture a = new RnnArchitecture(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 3, 5);
        SplittableRandom random = new SplittableRandom(2);
        try (PreparedRnn rnn = new OneDnnBackend().prepare(a, RnnWeights.uniform(a, 1));
             OneDnnWorkspace ws = (OneDnnWorkspace) rnn.newWorkspace()) {
            for (int steps = 1; steps <= 40; steps++) {
                int batch = 1 + steps % 4;
                FloatTensor x = Tensors.uniform(Shape.of(steps, batch, 3), random);
                int[] lengths = new int[batch];
                for (int n = 0; n < batch; n++) {
                    lengths[n] = 1 + (steps + 3 * n) % steps;
                }
                rnn.forward(Mode.TRAINING, RnnForward.of(x, FloatTensor.zeros(a.dstLayerShape(steps, batch)))
                        .withLengths(steps % 2 == 0 ? lengths : null), ws);
                // the executions of the current call's pieces (bidirectional: one per distinct length) plus CAPACITY others
                assertTrue(ws.plan.pieces <= batch);
                assertTrue(ws.executionsHeld() <= OneDnnWorkspace.CAPACITY + ws.plan.pieces,
                        ws.executionsHeld() + " executions held after " + steps + " sizes");
            }
            assertTrue(ws.executionsHeld() <= OneDnnWorkspace.CAPACITY + 4);
        }
    }

    @Test
    void aRepeatedMixedLengthBatchMakesNothingNewAndManyBatchesStayBounded() {
        RnnArchitecture a = new RnnArchitecture(CellKind.GRU, 2, Direction.UNIDIRECTIONAL, 3, 5);
        SplittableRandom random = new SplittableRandom(3);
        int steps = 30, batch = 12;
        FloatTensor x = Tensors.uniform(Shape.of(steps, batch, 3), random);
        int[] lengths = new int[batch];
        for (int n = 0; n < batch; n++) {
            lengths[n] = 1 + (7 * n) % steps;
        }
        try (PreparedRnn rnn = new OneDnnBackend().prepare(a, RnnWeights.uniform(a, 1));
             OneDnnWorkspace ws = (OneDnnWorkspace) rnn.newWorkspace()) {
            RnnForward io = RnnForward.of(x, FloatTensor.zeros(a.dstLayerShape(steps, batch))).withLengths(lengths);
            rnn.forward(Mode.TRAINING, io, ws);
            long made = ws.executionsMade();
            assertTrue(made == ws.plan.pieces, made + " executions for " + ws.plan.pieces + " pieces");
            for (Mode mode : new Mode[] {Mode.TRAINING, Mode.INFERENCE, Mode.TRAINING}) {
                rnn.forward(mode, io, ws);
            }
            assertTrue(ws.executionsMade() == made, "the same batch again made " + (ws.executionsMade() - made) + " more");
            for (int k = 0; k < 300; k++) { // batches of random lengths: the sizes come from a small set
                for (int n = 0; n < batch; n++) {
                    lengths[n] = 1 + random.nextInt(steps);
                }
                rnn.forward(Mode.TRAINING, io, ws);
                assertTrue(ws.executionsHeld() <= OneDnnWorkspace.CAPACITY + ws.plan.pieces);
            }
            assertTrue(ws.executionsMade() < 40, ws.executionsMade() + " executions made for 300 random batches");
        }
    }

    @Test
    void predictingMakesOnlyInferencePrimitivesAndTheBytesKeptStayBounded() {
        RnnArchitecture a = new RnnArchitecture(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 16, 64);
        SplittableRandom random = new SplittableRandom(4);
        int batch = 8;
        try (PreparedRnn rnn = new OneDnnBackend().prepare(a, RnnWeights.uniform(a, 1));
             OneDnnWorkspace ws = (OneDnnWorkspace) rnn.newWorkspace()) {
            long madeBytes = 0;
            for (int steps = 200; steps <= 1000; steps += 40) { // every sequence T long: one piece of the exact size
                FloatTensor x = Tensors.uniform(Shape.of(steps, batch, 16), random);
                rnn.forward(Mode.INFERENCE, RnnForward.of(x, FloatTensor.zeros(a.dstLayerShape(steps, batch))), ws);
                OneDnnExecution e = ws.pieceExecution[0];
                assertTrue(e.shape.has(OneDnnRnn.INFERENCE) && !e.shape.has(OneDnnRnn.TRAINING),
                        "a prediction made training primitives");
                madeBytes += e.bytes();
                assertTrue(ws.bytesHeld() <= OneDnnWorkspace.KEPT_BYTES + e.bytes(),
                        ws.bytesHeld() + " bytes held after " + steps + " steps");
            }
            assertTrue(madeBytes > 2 * OneDnnWorkspace.KEPT_BYTES, "the sizes should not all fit: " + madeBytes);
            // training the last size prepares its training part on the same execution
            int steps = 1000;
            FloatTensor x = Tensors.uniform(Shape.of(steps, batch, 16), random);
            rnn.forward(Mode.TRAINING, RnnForward.of(x, FloatTensor.zeros(a.dstLayerShape(steps, batch))), ws);
            assertTrue(ws.pieceExecution[0].shape.has(OneDnnRnn.TRAINING));
            assertTrue(ws.bytesHeld() <= OneDnnWorkspace.KEPT_BYTES + ws.pieceExecution[0].bytes());
        }
    }
}

package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Misuse throws an exception that says what is wrong; nothing reaches native code with a dangling pointer. */
class InvalidUseTest {

    private static final RnnDescriptor D = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 5, 3, 4, 6);
    private final OneDnnBackend backend = new OneDnnBackend();

    @Test
    void aClosedStackOrWorkspaceThrows() {
        PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1));
        Workspace ws = rnn.newWorkspace();
        RnnForward io = RnnForward.of(FloatTensor.zeros(D.srcLayerShape()), FloatTensor.zeros(D.dstLayerShape()));
        rnn.forward(Mode.TRAINING, io, ws);
        ws.close();
        assertEquals("the workspace was closed",
                assertThrows(IllegalStateException.class, () -> rnn.forward(Mode.INFERENCE, io, ws)).getMessage());
        Workspace ws2 = rnn.newWorkspace();
        rnn.close();
        rnn.close();
        assertTrue(assertThrows(IllegalStateException.class, () -> rnn.forward(Mode.INFERENCE, io, ws2))
                .getMessage().contains("was closed"));
        assertThrows(IllegalStateException.class, rnn::newWorkspace);
        assertThrows(IllegalStateException.class,
                () -> rnn.backward(RnnBackward.of(FloatTensor.zeros(D.dstLayerShape()), null, null), ws2));
        ws2.close(); // after its stack: still fine
    }

    @Test
    void wrongShapesAndForeignWorkspacesThrowBeforeNativeCode() {
        try (PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1));
             PreparedRnn other = backend.prepare(D, RnnWeights.uniform(D, 2));
             Workspace ws = rnn.newWorkspace(); Workspace foreign = other.newWorkspace()) {
            RnnForward wrong = RnnForward.of(FloatTensor.zeros(5, 3, 7), FloatTensor.zeros(D.dstLayerShape()));
            String message = assertThrows(IllegalArgumentException.class, () -> rnn.forward(Mode.INFERENCE, wrong, ws))
                    .getMessage();
            assertTrue(message.contains("srcLayer") && message.contains("[5, 3, 4]") && message.contains("[5, 3, 7]"), message);
            RnnForward io = RnnForward.of(FloatTensor.zeros(D.srcLayerShape()), FloatTensor.zeros(D.dstLayerShape()));
            assertThrows(IllegalArgumentException.class, () -> rnn.forward(Mode.INFERENCE, io, foreign));
            assertThrows(IllegalStateException.class,
                    () -> rnn.backward(RnnBackward.of(FloatTensor.zeros(D.dstLayerShape()), null, null), ws),
                    "backward before a training forward");
            FloatTensor nan = FloatTensor.zeros(D.srcLayerShape());
            nan.set(1, 2, 3, Float.NaN);
            assertThrows(IllegalArgumentException.class,
                    () -> rnn.forward(Mode.INFERENCE, RnnForward.of(nan, FloatTensor.zeros(D.dstLayerShape())), ws));
        }
        RnnWeights gru = RnnWeights.uniform(new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 5, 3, 4, 6), 1);
        assertThrows(IllegalArgumentException.class, () -> backend.prepare(D, gru), "GRU weights for an LSTM");
    }

    @Test
    void closingWhileAnotherThreadRunsWaitsForItAndThenRefusesIt() throws Exception {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 50, 8, 64, 64);
        PreparedRnn rnn = backend.prepare(d, RnnWeights.uniform(d, 1));
        CountDownLatch running = new CountDownLatch(1);
        AtomicLong calls = new AtomicLong();
        AtomicReference<Throwable> ended = new AtomicReference<>();
        // a thread of its own, which ends with the test: a live thread keeps its OpenMP team, and
        // more OpenMP threads than cores make libgomp stop spinning, which slows every later call
        Thread caller = new Thread(() -> {
            try (Workspace ws = rnn.newWorkspace()) {
                RnnForward io = RnnForward.of(FloatTensor.zeros(d.srcLayerShape()), FloatTensor.zeros(d.dstLayerShape()));
                while (true) {
                    rnn.forward(Mode.INFERENCE, io, ws);
                    calls.incrementAndGet();
                    running.countDown();
                }
            } catch (Throwable t) {
                ended.set(t);
            }
        });
        caller.start();
        assertTrue(running.await(30, TimeUnit.SECONDS));
        rnn.close();
        caller.join(30_000);
        Throwable t = ended.get();
        assertTrue(t instanceof IllegalStateException && t.getMessage().contains("was closed"), String.valueOf(t));
        assertTrue(calls.get() > 0);
    }
}

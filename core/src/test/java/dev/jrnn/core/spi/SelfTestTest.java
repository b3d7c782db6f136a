package dev.jrnn.core.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.runtime.BackendSelector;
import dev.jrnn.core.scalar.ReferenceBackend;
import dev.jrnn.core.scalar.ReferenceBackendProvider;
import dev.jrnn.core.tensor.FloatTensor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The known-answer self-test refuses a backend that computes wrong numbers, per cell kind,
 * direction and mode, and auto selection falls back; a right backend passes.
 */
class SelfTestTest {

    private static final RnnDescriptor GRU = new RnnDescriptor(CellKind.GRU, 1, Direction.BIDIRECTIONAL, 6, 2, 4, 5);
    private static final RnnDescriptor LSTM = new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 6, 2, 4, 5);

    @Test
    void aBackendWrongInInferenceIsRefusedWithTheCpuTheLibraryAndTheError() {
        Backend wrong = new Wrong("wrong-inference", CellKind.GRU, Mode.INFERENCE);
        BackendRefusedException e = assertThrows(BackendRefusedException.class,
                () -> wrong.prepare(GRU, RnnWeights.uniform(GRU, 1)));
        String m = e.getMessage();
        assertTrue(m.contains("backend 'wrong-inference' refused for GRU BIDIRECTIONAL INFERENCE"), m);
        assertTrue(m.contains("dstLayer["), m);
        assertTrue(m.contains("CPU " + SelfTest.cpu()), m);
        assertTrue(m.contains("test library 1.0"), m);
        // other kinds are served: LSTM is right in both modes
        try (PreparedRnn lstm = wrong.prepare(LSTM, RnnWeights.uniform(LSTM, 1))) {
            assertEquals("wrong-inference", lstm.backendName());
        }
        assertFalse(SelfTest.verdict(wrong, GRU, Mode.INFERENCE).trusted());
        assertTrue(SelfTest.verdict(wrong, LSTM, Mode.TRAINING).trusted());
    }

    @Test
    void aBackendWrongOnlyInItsGradientsServesInferenceAndRefusesTraining() {
        Backend wrong = new Wrong("wrong-training", CellKind.LSTM, Mode.TRAINING);
        try (PreparedRnn rnn = wrong.prepare(LSTM, RnnWeights.uniform(LSTM, 1)); Workspace ws = rnn.newWorkspace()) {
            FloatTensor x = FloatTensor.zeros(LSTM.srcLayerShape()), y = FloatTensor.zeros(LSTM.dstLayerShape());
            rnn.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
            BackendRefusedException e = assertThrows(BackendRefusedException.class,
                    () -> rnn.forward(Mode.TRAINING, RnnForward.of(x, y), ws));
            assertTrue(e.getMessage().contains("refused for LSTM UNIDIRECTIONAL TRAINING"), e.getMessage());
            assertTrue(e.getMessage().contains(".grad["), e.getMessage());
        }
    }

    @Test
    void autoSelectionPassesOverARefusedBackendAndSaysWhy() {
        BackendProvider wrong = provider(new Wrong("wrong-auto", CellKind.GRU, Mode.INFERENCE));
        BackendSelector selector = new BackendSelector(List.of(new ReferenceBackendProvider(), wrong),
                Duration.ofMillis(5));
        BackendSelector.Decision decision = selector.decide(GRU, RnnWeights.uniform(GRU, 2));
        assertEquals(ReferenceBackend.NAME, decision.backend(), decision::toString);
        assertTrue(decision.details().get("wrong-auto").startsWith("refused (backend 'wrong-auto' refused"),
                decision::toString);
        assertTrue(selector.report().contains("self-test wrong-auto GRU BIDIRECTIONAL INFERENCE: backend"),
                selector.report());
    }

    @Test
    void aRightBackendPassesOnceAndTheVerdictIsKept() {
        Backend right = new Wrong("right", null, null);
        right.prepare(GRU, RnnWeights.uniform(GRU, 3)).close();
        SelfTest.Verdict first = SelfTest.verdict(right, GRU, Mode.TRAINING);
        assertTrue(first.trusted(), first::reason);
        right.prepare(GRU.withSteps(30), RnnWeights.uniform(GRU, 4)).close();
        assertEquals(first, SelfTest.verdict(right, GRU, Mode.TRAINING), "tested once per kind and mode");
    }

    private static BackendProvider provider(Backend backend) {
        return new BackendProvider() {
            @Override
            public String name() {
                return backend.name();
            }

            @Override
            public Availability probe() {
                return Availability.available("test");
            }

            @Override
            public Backend create() {
                return backend;
            }
        };
    }

    /** The reference, off by 0.05 in one output (inference) or one weight gradient (training) for one cell. */
    private static final class Wrong extends Backend {
        private final String name;
        private final CellKind cell;
        private final Mode mode;
        private final Backend reference = new ReferenceBackend();

        Wrong(String name, CellKind cell, Mode mode) {
            this.name = name;
            this.cell = cell;
            this.mode = mode;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String implementation() {
            return "test library 1.0";
        }

        @Override
        protected PreparedRnn prepareChecked(RnnArchitecture d, RnnWeights weights) {
            PreparedRnn inner = reference.prepare(d, weights);
            boolean broken = d.cell() == cell;
            return new PreparedRnn(name, d) {
                @Override
                protected void updateChecked(RnnWeights w) {
                    inner.update(w);
                }

                @Override
                protected Workspace createWorkspace() {
                    return new Wrapped(this, inner.newWorkspace());
                }

                @Override
                protected void forwardChecked(Mode m, RnnForward io, Workspace workspace) {
                    inner.forward(m, io, ((Wrapped) workspace).inner);
                    if (broken && mode == Mode.INFERENCE && m == Mode.INFERENCE) {
                        io.dstLayer().setFlat(3, io.dstLayer().getFlat(3) + 0.05f);
                    }
                }

                @Override
                protected void backwardChecked(RnnBackward gradients, Workspace workspace) {
                    inner.backward(gradients, ((Wrapped) workspace).inner);
                    if (broken && mode == Mode.TRAINING && gradients.diffWeights() != null) {
                        FloatTensor g = gradients.diffWeights().get(Param.WEIGHT_HH, 0, 0);
                        g.setFlat(1, g.getFlat(1) + 0.05f);
                    }
                }

                @Override
                protected void release() {
                    inner.close();
                }
            };
        }
    }

    private static final class Wrapped extends Workspace {
        final Workspace inner;

        Wrapped(PreparedRnn owner, Workspace inner) {
            super(owner);
            this.inner = inner;
        }

        @Override
        protected void release() {
            inner.close();
        }
    }
}

package dev.jrnn.core.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.BFloat16;
import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.BackendSelector;
import dev.jrnn.core.runtime.Use;
import dev.jrnn.core.scalar.ReferenceBackend;
import dev.jrnn.core.scalar.ReferenceBackendProvider;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The precision option of prepare: float32 unchanged, reduced precisions refused where not run, and bf16 rounding. */
class PrecisionTest {

    private static final RnnDescriptor D = new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 3, 2, 5, 7);

    @Test
    void float32IsTheDefaultAndGivesTheSameResults() {
        Backend reference = new ReferenceBackend();
        assertEquals(EnumSet.of(Precision.FLOAT32), reference.precisions());
        RnnWeights w = RnnWeights.uniform(D, 1);
        FloatTensor x = Tensors.uniform(D.srcLayerShape(), new SplittableRandom(2));
        try (PreparedRnn plain = reference.prepare(D, w); PreparedRnn explicit = reference.prepare(D, w, Precision.FLOAT32)) {
            assertEquals(Precision.FLOAT32, plain.precision());
            assertArrayEquals(plain.forward(x, null, null).output().toArray(),
                    explicit.forward(x, null, null).output().toArray());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void theReferenceRefusesReducedPrecisionNamingItselfAndThePrecision(Precision p) {
        var e = assertThrows(UnsupportedOperationException.class,
                () -> new ReferenceBackend().prepare(D, RnnWeights.uniform(D, 1), p));
        assertTrue(e.getMessage().contains("'reference'") && e.getMessage().contains(p.label())
                && e.getMessage().contains("float32"), e.getMessage());
    }

    @Test
    void theSelectorRefusesTrainingInReducedPrecisionAndAutoWithoutABackendForIt() {
        BackendSelector selector = new BackendSelector(List.of(new ReferenceBackendProvider()), Duration.ofMillis(10));
        RnnWeights w = RnnWeights.uniform(D, 1);
        var training = assertThrows(UnsupportedOperationException.class,
                () -> selector.prepare("auto", D, w, Use.TRAINING, Precision.BF16));
        assertTrue(training.getMessage().contains("inference only"), training.getMessage());
        var auto = assertThrows(UnsupportedOperationException.class,
                () -> selector.prepare("auto", D, w, Use.INFERENCE, Precision.BF16));
        assertTrue(auto.getMessage().contains("bf16") && auto.getMessage().contains("reference"), auto.getMessage());
        var named = assertThrows(UnsupportedOperationException.class,
                () -> selector.prepare("reference", D, w, Use.STREAMING, Precision.INT8));
        assertTrue(named.getMessage().contains("'reference'") && named.getMessage().contains("int8"), named.getMessage());
        try (PreparedRnn f = selector.prepare("reference", D, w, Use.TRAINING, Precision.FLOAT32)) {
            assertEquals(Precision.FLOAT32, f.precision());
        }
    }

    /** Claims int8 with a calibration, and refuses every cell at prepare, as oneDNN refuses int8 GRU. */
    private static final class Quantizing extends Backend {
        @Override
        public String name() {
            return "quantizing";
        }

        @Override
        public java.util.Set<Precision> precisions() {
            return EnumSet.of(Precision.FLOAT32, Precision.INT8);
        }

        @Override
        public boolean needsCalibration(Precision precision) {
            return precision == Precision.INT8;
        }

        @Override
        protected PreparedRnn prepareChecked(dev.jrnn.core.rnn.RnnArchitecture a, RnnWeights weights) {
            return new ReferenceBackend().prepare(a, weights);
        }

        @Override
        protected PreparedRnn prepareChecked(dev.jrnn.core.rnn.RnnArchitecture a, RnnWeights weights, Precision precision,
                                             Calibration calibration) {
            throw new UnsupportedOperationException("quantizing runs int8 for LSTM only, not " + a.cell());
        }
    }

    /**
     * int8 on a backend that quantizes activations statically: refused without a calibration when
     * named; passed over by auto without one, and when it refuses the cell at prepare, each with
     * its reason in auto's refusal.
     */
    @Test
    void calibrationIsAskedForWhereNeededAndAutoPassesOverARefusal() {
        BackendProvider provider = new BackendProvider() {
            @Override
            public String name() {
                return "quantizing";
            }

            @Override
            public Availability probe() {
                return Availability.available("a test backend");
            }

            @Override
            public Backend create() {
                return new Quantizing();
            }
        };
        BackendSelector selector = new BackendSelector(List.of(provider, new ReferenceBackendProvider()), Duration.ofMillis(10));
        RnnWeights w = RnnWeights.uniform(D, 1);
        var named = assertThrows(IllegalArgumentException.class,
                () -> selector.prepare("quantizing", D, w, Use.INFERENCE, Precision.INT8));
        assertTrue(named.getMessage().contains("'quantizing'") && named.getMessage().contains("Calibration"),
                named.getMessage());
        var uncalibrated = assertThrows(UnsupportedOperationException.class,
                () -> selector.prepare("auto", D, w, Use.INFERENCE, Precision.INT8));
        assertTrue(uncalibrated.getMessage().contains("quantizing=runs int8 with a calibration of the inputs only"),
                uncalibrated.getMessage());
        FloatTensor sample = Tensors.uniform(D.srcLayerShape(), new SplittableRandom(5));
        Calibration calibration = Calibration.of(sample);
        var refused = assertThrows(UnsupportedOperationException.class,
                () -> selector.prepare("auto", D, w, Use.INFERENCE, Precision.INT8, calibration));
        assertTrue(refused.getMessage().contains("quantizing=quantizing runs int8 for LSTM only, not GRU")
                && refused.getMessage().contains("reference=runs [float32]"), refused.getMessage());
        float[] values = sample.toArray();
        java.util.Arrays.sort(values);
        assertEquals(new Calibration(values[0], values[values.length - 1]), calibration);
        assertEquals(new Calibration(-2, 3), new Calibration(-2, 1).union(new Calibration(0, 3)));
        assertEquals(new Calibration(-2, 3), new Calibration(-2, 1).including(3));
    }

    @Test
    void parsesTheLabels() {
        assertEquals(Precision.BF16, Precision.parse("BF16"));
        assertEquals(Precision.FLOAT32, Precision.parse(" float32"));
        var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp16"));
        assertTrue(e.getMessage().contains("fp16") && e.getMessage().contains("bf16"), e.getMessage());
    }

    /** Round to nearest, ties to even, on hand-worked bit patterns; and the relative error bound over many values. */
    @Test
    void roundsToNearestEven() {
        assertEquals((short) 0x3F80, BFloat16.round(1f));
        assertEquals((short) 0x3F80, BFloat16.round(Float.intBitsToFloat(0x3F808000))); // tie, even below
        assertEquals((short) 0x3F82, BFloat16.round(Float.intBitsToFloat(0x3F818000))); // tie, even above
        assertEquals((short) 0x3F81, BFloat16.round(Float.intBitsToFloat(0x3F808001))); // past the tie
        assertEquals((short) 0x3F80, BFloat16.round(Float.intBitsToFloat(0x3F807FFF))); // short of it
        assertEquals((short) 0xBF80, BFloat16.round(-1f));
        assertEquals(Float.POSITIVE_INFINITY, BFloat16.roundTrip(Float.MAX_VALUE)); // rounds up past the largest bf16
        assertTrue(Float.isNaN(BFloat16.roundTrip(Float.intBitsToFloat(0x7F800001)))); // a NaN stays one
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) random.nextDouble(-4, 4);
            float r = BFloat16.roundTrip(f);
            assertTrue(Math.abs((double) r - f) <= BFloat16.MAX_RELATIVE_ERROR * Math.abs(f), f + " -> " + r);
            assertEquals(0, Float.floatToRawIntBits(r) & 0xFFFF, "a bf16 has no low bits");
        }
    }

    @Test
    void roundMatricesRoundsTheMatricesAndKeepsTheBiases() {
        RnnWeights w = RnnWeights.uniform(D, 4), r = BFloat16.roundMatrices(w);
        for (RnnWeights.Param p : RnnWeights.Param.values()) {
            float[] before = w.get(p, 1, 1).toArray(), after = r.get(p, 1, 1).toArray();
            boolean matrix = p == RnnWeights.Param.WEIGHT_IH || p == RnnWeights.Param.WEIGHT_HH;
            for (int i = 0; i < before.length; i++) {
                assertEquals(matrix ? BFloat16.roundTrip(before[i]) : before[i], after[i], p + "[" + i + "]");
            }
        }
    }
}

package dev.jrnn.onednn;

import dev.jrnn.core.rnn.BFloat16;
import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.PrecisionAccuracy;

/**
 * The reduced-precision accuracy contract for {@code onednn}: each precision it runs on this CPU
 * against its float32. oneDNN stores the activations narrower too: bf16 inputs, states and outputs
 * (each within 2<sup>-8</sup> of itself), and for int8 u8 layer inputs calibrated on the case's own
 * inputs (a range holding [-1, 1], so a symmetric range {@code [-m, m]} has half a step of {@code m / 254}).
 */
class OneDnnPrecisionAccuracyTest extends PrecisionAccuracy {

    @Override
    protected Backend backend() {
        return new OneDnnBackend();
    }

    @Override
    protected PreparedRnn prepare(RnnDescriptor d, RnnWeights weights, Precision precision, FloatTensor sample) {
        return backend().prepare(d, weights, precision, backend().needsCalibration(precision) ? Calibration.of(sample) : null);
    }

    @Override
    protected double activationError(Precision precision, double largest) {
        return switch (precision) {
            case BF16 -> BFloat16.MAX_RELATIVE_ERROR * largest;
            case INT8 -> Math.max(1, largest) / 254;
            case FLOAT32 -> 0;
        };
    }
}

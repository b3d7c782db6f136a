package dev.jrnn.core.spi;

import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import java.util.Objects;

/**
 * A set of kernels that can compute recurrent stacks. Plan once, run many:
 * {@link #prepare} converts the weights to the backend's layout and sizes its buffers once;
 * the prepared stack then runs any number of times without allocating.
 */
public abstract class Backend {

    /** Short lower-case name, the same as its provider's. */
    public abstract String name();

    /**
     * True for a backend that auto selection takes only when no other can run the descriptor: the
     * reference, which is written to be read and to be right, not to be fast. (Timing it against
     * a Vector API backend in a cold JVM would also be unfair: C2 needs a few hundred milliseconds
     * before vector code runs at speed.)
     */
    public boolean fallbackOnly() {
        return false;
    }

    /**
     * What this backend runs, for reports and refusals: the library and its version, the
     * instruction set it uses. Empty when there is nothing to say beyond the name.
     */
    public String implementation() {
        return "";
    }

    /** Whether this backend computes {@code d}; the default is yes. */
    public Support supports(RnnDescriptor d) {
        return Support.YES;
    }

    /**
     * Plans {@code d} with {@code weights} (PyTorch layout; not retained: later changes to them are
     * not seen). Throws {@link IllegalArgumentException} when the weights do not fit the descriptor,
     * {@link UnsupportedOperationException} when this backend cannot compute it, and
     * {@link BackendRefusedException} when it failed its {@linkplain SelfTest known-answer
     * self-test} for {@code d}'s cell and direction in inference here. The training self-test
     * runs at the plan's first training-mode forward, which it refuses if the backend fails it.
     */
    public final PreparedRnn prepare(RnnDescriptor d, RnnWeights weights) {
        Objects.requireNonNull(d, "descriptor");
        Objects.requireNonNull(weights, "weights");
        weights.checkFits(d);
        Support support = supports(d);
        if (!support.supported()) {
            throw new UnsupportedOperationException(
                    "backend '" + name() + "' does not support " + d + ": " + support.reason());
        }
        SelfTest.require(this, d, Mode.INFERENCE);
        PreparedRnn prepared = prepareChecked(d, weights);
        prepared.trainingVerifiedBy(this);
        return prepared;
    }

    /** {@link #prepare} after the checks. */
    protected abstract PreparedRnn prepareChecked(RnnDescriptor d, RnnWeights weights);

    /**
     * This backend's own dense kernels ({@link DenseKernels}), or empty when it has none (then
     * {@code dev.jrnn.core.runtime.DenseBackends} picks another backend's for the dense work).
     */
    public java.util.Optional<DenseKernels> dense() {
        return java.util.Optional.empty();
    }

    @Override
    public String toString() {
        return name();
    }
}

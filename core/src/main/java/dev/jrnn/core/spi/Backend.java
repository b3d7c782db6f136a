package dev.jrnn.core.spi;

import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnArchitecture;
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
     * Whether this backend reaches its speed only once the JVM's JIT has compiled it (Java and
     * Vector API code: seconds of calls in a new JVM) rather than from its first call (native
     * code). Auto selection keeps timing such a backend until the JIT has gone quiet, so that it
     * ranks the backends rather than the JIT's progress.
     */
    public boolean compiledByJit() {
        return true;
    }

    /**
     * What this backend runs, for reports and refusals: the library and its version, the
     * instruction set it uses. Empty when there is nothing to say beyond the name.
     */
    public String implementation() {
        return "";
    }

    /** Whether this backend computes {@code d}; the default is whether it computes {@code d}'s architecture. */
    public Support supports(RnnDescriptor d) {
        return supports(d.architecture());
    }

    /** Whether this backend computes {@code a} (at every {@code T}, {@code N} and mix of lengths); the default is yes. */
    public Support supports(RnnArchitecture a) {
        return Support.YES;
    }

    /**
     * Plans {@code a} with {@code weights} (PyTorch layout; not retained: later changes to them are
     * not seen until {@link PreparedRnn#update}). The plan serves every {@code T} and {@code N}.
     * Throws {@link IllegalArgumentException} when the weights do not fit the architecture,
     * {@link UnsupportedOperationException} when this backend cannot compute it, and
     * {@link BackendRefusedException} when it failed its {@linkplain SelfTest known-answer
     * self-test} for {@code a}'s cell and direction in inference here. The training self-test
     * runs at the plan's first training-mode forward, which it refuses if the backend fails it.
     */
    public final PreparedRnn prepare(RnnArchitecture a, RnnWeights weights) {
        Objects.requireNonNull(a, "architecture");
        Objects.requireNonNull(weights, "weights");
        weights.checkFits(a);
        Support support = supports(a);
        if (!support.supported()) {
            throw new UnsupportedOperationException(
                    "backend '" + name() + "' does not support " + a + ": " + support.reason());
        }
        SelfTest.require(this, a.withProblem(1, 1), Mode.INFERENCE); // the test keys on cell and direction
        PreparedRnn prepared = prepareChecked(a, weights);
        prepared.trainingVerifiedBy(this);
        return prepared;
    }

    /**
     * Plans {@code d}'s architecture ({@code T} and {@code N} are not part of a plan: it serves any);
     * also refuses a descriptor this backend does not support. See {@link #prepare(RnnArchitecture, RnnWeights)}.
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
        return prepare(d.architecture(), weights);
    }

    /** {@link #prepare} after the checks. */
    protected abstract PreparedRnn prepareChecked(RnnArchitecture a, RnnWeights weights);

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

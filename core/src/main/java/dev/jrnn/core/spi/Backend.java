package dev.jrnn.core.spi;

import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

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
     * The weight precisions this backend runs ({@link #prepare(RnnArchitecture, RnnWeights, Precision)}),
     * for reports and refusals; float32 is always among them. The default: float32 only.
     */
    public Set<Precision> precisions() {
        return EnumSet.of(Precision.FLOAT32);
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
        return prepare(a, weights, Precision.FLOAT32);
    }

    /**
     * {@link #prepare(RnnArchitecture, RnnWeights)} with the weights stored in {@code precision}
     * (converted once, here). A reduced precision serves inference only: the plan refuses
     * training-mode forwards. Throws {@link UnsupportedOperationException}, naming this backend and
     * the precision, when this backend does not run {@code precision} ({@link #precisions()}).
     */
    public final PreparedRnn prepare(RnnArchitecture a, RnnWeights weights, Precision precision) {
        return prepare(a, weights, precision, null);
    }

    /**
     * {@link #prepare(RnnArchitecture, RnnWeights, Precision)} with the range of the inputs the
     * stack will read, for a backend that quantizes activations statically ({@link
     * #needsCalibration}); null when there is none, which such a backend refuses. Other backends
     * ignore it.
     */
    public final PreparedRnn prepare(RnnArchitecture a, RnnWeights weights, Precision precision,
                                     Calibration calibration) {
        Objects.requireNonNull(a, "architecture");
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(precision, "precision");
        if (!precisions().contains(precision)) {
            throw new UnsupportedOperationException(refusal(precision));
        }
        if (calibration == null && needsCalibration(precision)) {
            throw new IllegalArgumentException("backend '" + name() + "' runs " + precision + " with activations "
                    + "quantized to a fixed range: pass a Calibration of the inputs (Calibration.of(sample inputs))");
        }
        weights.checkFits(a);
        Support support = supports(a);
        if (!support.supported()) {
            throw new UnsupportedOperationException(
                    "backend '" + name() + "' does not support " + a + ": " + support.reason());
        }
        SelfTest.require(this, a.withProblem(1, 1), Mode.INFERENCE); // the test keys on cell and direction
        PreparedRnn prepared = prepareChecked(a, weights, precision, calibration);
        if (prepared.precision() != precision) {
            throw new IllegalStateException("backend '" + name() + "' prepared " + prepared.precision()
                    + " weights when " + precision + " was asked for");
        }
        prepared.trainingVerifiedBy(this);
        return prepared;
    }

    /** Why this backend refuses {@code precision}: it names the backend, the precision and what it runs. */
    public final String refusal(Precision precision) {
        return "backend '" + name() + "' does not run " + precision + " weights; it runs "
                + precisions().stream().map(Precision::label).sorted().toList();
    }

    /**
     * Plans {@code d}'s architecture ({@code T} and {@code N} are not part of a plan: it serves any);
     * also refuses a descriptor this backend does not support. See {@link #prepare(RnnArchitecture, RnnWeights)}.
     */
    public final PreparedRnn prepare(RnnDescriptor d, RnnWeights weights) {
        return prepare(d, weights, Precision.FLOAT32);
    }

    /** {@link #prepare(RnnDescriptor, RnnWeights)} in {@code precision}: see {@link #prepare(RnnArchitecture, RnnWeights, Precision)}. */
    public final PreparedRnn prepare(RnnDescriptor d, RnnWeights weights, Precision precision) {
        return prepare(d, weights, precision, null);
    }

    /** {@link #prepare(RnnDescriptor, RnnWeights, Precision)} with a calibration: see {@link #prepare(RnnArchitecture, RnnWeights, Precision, Calibration)}. */
    public final PreparedRnn prepare(RnnDescriptor d, RnnWeights weights, Precision precision, Calibration calibration) {
        Objects.requireNonNull(d, "descriptor");
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(precision, "precision");
        weights.checkFits(d);
        Support support = supports(d);
        if (!support.supported()) {
            throw new UnsupportedOperationException(
                    "backend '" + name() + "' does not support " + d + ": " + support.reason());
        }
        return prepare(d.architecture(), weights, precision, calibration);
    }

    /**
     * Whether this backend quantizes activations to a range fixed at prepare when it runs {@code
     * precision}, and so needs a {@link Calibration} of the inputs. The default: no.
     */
    public boolean needsCalibration(Precision precision) {
        return false;
    }

    /**
     * {@link #prepare(RnnArchitecture, RnnWeights, Precision)} after the checks: {@code precision} is
     * one of {@link #precisions()}. The default serves float32 through {@link #prepareChecked(RnnArchitecture, RnnWeights)};
     * a backend that runs more precisions overrides it.
     */
    protected PreparedRnn prepareChecked(RnnArchitecture a, RnnWeights weights, Precision precision,
                                         Calibration calibration) {
        return prepareChecked(a, weights, precision);
    }

    /** {@link #prepareChecked(RnnArchitecture, RnnWeights, Precision, Calibration)} for a backend that takes no calibration. */
    protected PreparedRnn prepareChecked(RnnArchitecture a, RnnWeights weights, Precision precision) {
        if (precision != Precision.FLOAT32) {
            throw new UnsupportedOperationException(refusal(precision));
        }
        return prepareChecked(a, weights);
    }

    /** {@link #prepare(RnnArchitecture, RnnWeights)} after the checks: float32 weights. */
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

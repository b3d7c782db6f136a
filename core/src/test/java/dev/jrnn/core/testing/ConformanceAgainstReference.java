package dev.jrnn.core.testing;

import static dev.jrnn.core.testing.Close.assertClose;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared conformance suite of DESIGN.md section 7 for every backend but the reference: on top
 * of {@link BackendConformance}, forward outputs, final states and every gradient agree with the
 * reference backend over a grid of shapes that straddle vector-lane boundaries. A backend's test
 * extends this class and names the backend; it may widen {@link #tolerance}, with a reason.
 */
public abstract class ConformanceAgainstReference extends BackendConformance {

    private static final Backend REFERENCE = Backends.reference();

    /**
     * Absolute and relative tolerance against the double-precision reference. Float32 sums of
     * {@code k} terms err by about {@code sqrt(k)} ulps; weight gradients sum {@code T * N} steps.
     */
    protected double tolerance(RnnDescriptor d) {
        return 1e-5 * Math.max(1, Math.sqrt(d.steps() * d.batch() * d.layers() / 4.0));
    }

    static final int[] SIZES = {1, 3, 7, 8, 9, 15, 16, 17, 33};
    static final int[] STEPS = {1, 2, 17};
    static final int[] BATCHES = {1, 2, 7};

    /** Every cell, direction and layer count (1-3), each with nine shapes covering every size, T and N. */
    public static List<RnnDescriptor> grid() {
        List<RnnDescriptor> grid = new ArrayList<>();
        for (CellKind cell : CellKind.values()) {
            for (Direction direction : Direction.values()) {
                for (int layers = 1; layers <= 3; layers++) {
                    for (int i = 0; i < SIZES.length; i++) {
                        int hidden = SIZES[(i * 4 + 2 * layers + cell.ordinal()) % SIZES.length];
                        grid.add(new RnnDescriptor(cell, layers, direction, STEPS[i % 3],
                                BATCHES[(i / 3 + layers) % 3], SIZES[i], hidden));
                    }
                }
            }
        }
        return grid;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jrnn.core.testing.ConformanceAgainstReference#grid")
    void forwardAndBackwardMatchTheReference(RnnDescriptor d) {
        Problem p = Problem.of(d);
        assertOutcome(run(REFERENCE, p), run(backend(), p), null, tolerance(d));
    }

    /** A case with per-sequence lengths. */
    public record LengthCase(RnnDescriptor d, int[] lengths) {
        @Override
        public String toString() {
            return d + " lengths " + java.util.Arrays.toString(lengths);
        }
    }

    /**
     * Every cell, direction and layer count (1-3), with unsorted lengths that include 1 and
     * {@code T}, on sizes across vector-lane boundaries.
     */
    public static List<LengthCase> lengthGrid() {
        int[][] problems = {{5, 2}, {17, 7}, {9, 3}};
        List<LengthCase> grid = new ArrayList<>();
        for (CellKind cell : CellKind.values()) {
            for (Direction direction : Direction.values()) {
                for (int layers = 1; layers <= 3; layers++) {
                    for (int i = 0; i < 2; i++) {
                        int[] tn = problems[(i + layers) % problems.length];
                        int k = i * 3 + layers + cell.ordinal();
                        RnnDescriptor d = new RnnDescriptor(cell, layers, direction, tn[0], tn[1],
                                SIZES[k % SIZES.length], SIZES[(k * 5 + 2) % SIZES.length]);
                        grid.add(new LengthCase(d, mixedLengths(tn[0], tn[1], grid.size())));
                    }
                }
            }
        }
        return grid;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jrnn.core.testing.ConformanceAgainstReference#lengthGrid")
    void variableLengthsMatchTheReference(LengthCase c) {
        Problem p = Problem.of(c.d(), c.lengths());
        assertOutcome(run(REFERENCE, p), run(backend(), p), c.lengths(), tolerance(c.d()));
    }

    /** The inference kernels over the same grid: a backend may run different code without gradients (oneDNN does). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jrnn.core.testing.ConformanceAgainstReference#grid")
    void inferenceMatchesTheReference(RnnDescriptor d) {
        Problem p = Problem.of(d);
        Outcome want = run(REFERENCE, p);
        boolean lstm = d.cell().hasCellState();
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), hn = FloatTensor.zeros(d.iterShape());
        FloatTensor cn = lstm ? FloatTensor.zeros(d.iterShape()) : null;
        try (PreparedRnn rnn = backend().prepare(d, p.weights()); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.INFERENCE, new RnnForward(p.x(), p.h0(), p.c0(), y, hn, cn), ws);
        }
        double tol = tolerance(d);
        assertClose("dstLayer", want.y(), y, tol, tol);
        assertClose("dstIter", want.hn(), hn, tol, tol);
        if (lstm) {
            assertClose("dstIterC", want.cn(), cn, tol, tol);
        }
    }
}

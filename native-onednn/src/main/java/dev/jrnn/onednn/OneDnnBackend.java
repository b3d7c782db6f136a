package dev.jrnn.onednn;

import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Support;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The oneDNN backend. Every cell, layer count and direction maps onto oneDNN's primitives, but
 * whether oneDNN implements a given shape is its own business: {@link #supports} asks it, by
 * creating the primitive descriptors once per descriptor, and says no rather than compute wrong
 * numbers. Re-preparing a descriptor is cheap after the first time: oneDNN keeps created
 * primitives in its own cache (bounded: {@link PrimitiveCache}).
 */
public final class OneDnnBackend extends Backend {

    private final Map<RnnDescriptor, Support> support = new ConcurrentHashMap<>();
    private final Map<RnnArchitecture, Support> architectures = new ConcurrentHashMap<>();

    /** Loads the library and binds every symbol, so that a library that cannot serve fails inside the probe. */
    static String describe() {
        OneDnnLibrary.Loaded loaded = OneDnnLibrary.require();
        int bound = dnnl_h.boundSymbols().size();
        Dnnl.engine();
        String threads = omp_h.present()
                ? "OpenMP, " + omp_h.omp_get_max_threads() + " threads by default"
                : "thread count not controllable (no OpenMP runtime found)";
        List<String> attempts = OneDnnLibrary.load().attempts();
        List<String> failed = attempts.subList(0, attempts.size() - 1).stream()
                .filter(a -> !a.startsWith("no explicit path")).toList();
        String skipped = failed.isEmpty() ? "" : " (skipped: " + String.join("; ", failed) + ")";
        String cap = System.getenv("ONEDNN_MAX_CPU_ISA");
        String isa = "ISA " + Dnnl.effectiveIsa() + (cap == null || cap.isBlank() ? "" : " (ONEDNN_MAX_CPU_ISA=" + cap + ")");
        return "oneDNN " + loaded.version() + " from " + loaded.source() + skipped + ", " + isa + ", " + bound
                + " functions bound, " + threads + ", primitive cache of " + PrimitiveCache.capacity();
    }

    @Override
    public String name() {
        return OneDnnRnn.NAME;
    }

    /** oneDNN's kernels are native, at speed from the first call (after its primitives are made). */
    @Override
    public boolean compiledByJit() {
        return false;
    }

    /** What oneDNN runs each precision with here: its implementation of a small LSTM, or why it cannot. */
    private static final class Precisions {
        static final Map<Precision, String> RUN = new java.util.EnumMap<>(Precision.class);
        static final Map<Precision, String> REFUSED = new java.util.EnumMap<>(Precision.class);

        static {
            for (Precision p : Precision.values()) {
                try {
                    String why = p == Precision.INT8 && !Dnnl.hasVnni()
                            ? "no VNNI: without it oneDNN may sum u8 x s8 pairs in saturating 16 bits, which full-range u8 inputs can overflow" : null;
                    if (why == null) {
                        RUN.put(p, probe(p));
                    } else {
                        REFUSED.put(p, why);
                    }
                } catch (DnnlException e) {
                    if (!e.unimplemented()) {
                        throw e;
                    }
                    REFUSED.put(p, "oneDNN has no " + p + " RNN on " + Dnnl.effectiveIsa() + ": " + e.getMessage());
                }
            }
        }

        /** Makes a small LSTM's inference primitive in {@code p}: oneDNN answers {@code unimplemented} if it cannot. */
        private static String probe(Precision p) {
            RnnArchitecture a = new RnnArchitecture(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 4, 4);
            try (OneDnnRnn rnn = new OneDnnRnn(a, RnnWeights.zeros(a), p, new Calibration(-1, 1))) {
                return rnn.tryShape(2, 2);
            }
        }
    }

    /**
     * float32, and bf16 and int8 where oneDNN makes their primitives on this CPU (asked once, at
     * first use); int8 also needs VNNI (see {@link Dnnl#hasVnni}). int8 runs LSTM only.
     */
    @Override
    public Set<Precision> precisions() {
        return Collections.unmodifiableSet(EnumSet.copyOf(Precisions.RUN.keySet()));
    }

    /** int8 quantizes the layer-0 inputs to a range fixed at prepare. */
    @Override
    public boolean needsCalibration(Precision precision) {
        return precision == Precision.INT8;
    }

    /** The library, the ISA oneDNN dispatches to, whether it uses AMX, and each precision's implementation. */
    @Override
    public String implementation() {
        StringBuilder s = new StringBuilder("oneDNN " + OneDnnLibrary.require().version() + ", ISA " + Dnnl.effectiveIsa()
                + (Dnnl.hasAmx() ? " (AMX)" : " (no AMX)"));
        Precisions.RUN.forEach((p, impl) -> s.append(", ").append(p).append(" by ").append(impl));
        Precisions.REFUSED.forEach((p, why) -> s.append(", no ").append(p).append(" (").append(why).append(')'));
        return s.toString();
    }

    @Override
    public Support supports(RnnDescriptor d) {
        return support.computeIfAbsent(d, k -> ask(k.architecture(), k.steps(), k.batch()));
    }

    /** Whether oneDNN computes {@code a}, asked on a small problem (its primitives are made per size, at run time). */
    @Override
    public Support supports(RnnArchitecture a) {
        return architectures.computeIfAbsent(a, k -> ask(k, 2, 2));
    }

    /** Makes {@code a}'s primitives for {@code steps} by {@code batch} with zero weights: oneDNN answers {@code unimplemented} if it cannot. */
    private static Support ask(RnnArchitecture a, int steps, int batch) {
        try (OneDnnRnn planned = new OneDnnRnn(a, RnnWeights.zeros(a))) {
            planned.tryShape(steps, batch);
            return Support.YES;
        } catch (DnnlException e) {
            if (e.unimplemented()) {
                return Support.no("oneDNN has no implementation: " + e.getMessage());
            }
            throw e;
        }
    }

    @Override
    protected PreparedRnn prepareChecked(RnnArchitecture a, RnnWeights weights) {
        return new OneDnnRnn(a, weights);
    }

    /** A reduced precision's primitives are made here on a small problem, so that a shape oneDNN cannot run is refused now. */
    @Override
    protected PreparedRnn prepareChecked(RnnArchitecture a, RnnWeights weights, Precision precision,
                                         Calibration calibration) {
        OneDnnRnn rnn = new OneDnnRnn(a, weights, precision, calibration);
        if (precision != Precision.FLOAT32) {
            try {
                rnn.tryShape(2, 2);
            } catch (DnnlException e) {
                rnn.close();
                if (e.unimplemented()) {
                    throw new UnsupportedOperationException("oneDNN has no " + precision + " implementation of " + a
                            + ": " + e.getMessage(), e);
                }
                throw e;
            } catch (RuntimeException | Error e) {
                rnn.close();
                throw e;
            }
        }
        return rnn;
    }
}

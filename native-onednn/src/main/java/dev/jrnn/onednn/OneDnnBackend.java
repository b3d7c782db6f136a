package dev.jrnn.onednn;

import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Support;
import java.util.List;
import java.util.Map;
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

    @Override
    public String implementation() {
        return "oneDNN " + OneDnnLibrary.require().version() + ", ISA " + Dnnl.effectiveIsa();
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
}

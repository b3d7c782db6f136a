package dev.jrnn.onednn;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The two OpenMP functions jrnn needs, in jextract's shape: oneDNN's CPU runtime here is OpenMP,
 * and {@code omp_set_num_threads} is how a caller chooses its thread count. The setting belongs to
 * the calling thread, so it is made before every execution. Absent when the library was built for
 * another runtime.
 */
@SuppressWarnings({"checkstyle:MethodName", "checkstyle:TypeName"})
final class omp_h {

    private omp_h() {
    }

    private static final MethodHandle omp_set_num_threads$MH;
    private static final MethodHandle omp_get_max_threads$MH;

    static {
        Optional<SymbolLookup> omp = OneDnnLibrary.require().openmp();
        Linker linker = Linker.nativeLinker();
        omp_set_num_threads$MH = omp.flatMap(l -> l.find("omp_set_num_threads"))
                .map(a -> linker.downcallHandle(a, FunctionDescriptor.ofVoid(dnnl_h.C_INT), Linker.Option.critical(false)))
                .orElse(null);
        omp_get_max_threads$MH = omp.flatMap(l -> l.find("omp_get_max_threads"))
                .map(a -> linker.downcallHandle(a, FunctionDescriptor.of(dnnl_h.C_INT), Linker.Option.critical(false)))
                .orElse(null);
    }

    static boolean present() {
        return omp_set_num_threads$MH != null && omp_get_max_threads$MH != null;
    }

    static void omp_set_num_threads(int threads) {
        try {
            omp_set_num_threads$MH.invokeExact(threads);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }

    static int omp_get_max_threads() {
        try {
            return (int) omp_get_max_threads$MH.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
}

/**
 * The Vector API backend ({@code simd}): packed GEMM and GEMV, vectorized activations, fused cells
 * and BPTT. Nothing is exported: the backend is a service, found by {@code dev.jrnn.core}, and
 * chosen by name ({@code -Djrnn.backend=simd}) or by auto selection.
 *
 * <p>On the module path this module requires {@code jdk.incubator.vector}, so the JVM loads it; on
 * the class path the JVM needs {@code --add-modules jdk.incubator.vector}, and without it the
 * backend is unavailable with a reason naming that flag.
 */
module dev.jrnn.simd {
    requires dev.jrnn.core;
    requires jdk.incubator.vector;

    provides dev.jrnn.core.spi.BackendProvider with dev.jrnn.simd.SimdBackendProvider;
}

/**
 * The JMH suite. It runs from the shaded {@code benchmarks.jar} on the class path ({@code ./build
 * bench}), as JMH expects, so this descriptor only checks at compile time what the benchmarks use.
 * {@code KernelBench} times simd's kernels, which that module does not export: the compiler gets
 * {@code --add-exports dev.jrnn.simd/dev.jrnn.simd=dev.jrnn.bench} (see the pom).
 */
module dev.jrnn.bench {
    requires dev.jrnn.models;
    requires dev.jrnn.simd;
    requires jdk.incubator.vector;
    requires jmh.core;
    requires com.microsoft.onnxruntime;
}

/**
 * jrnn's engine: tensors over {@code MemorySegment}, the RNN descriptor and PyTorch-named weights,
 * the backend SPI and the run-time choice among the backends found.
 *
 * <p>Backends are services: {@link dev.jrnn.core.spi.BackendProvider}s declared by modules on the
 * module path ({@code provides}) or listed in {@code META-INF/services} by jars on the class path.
 * The scalar reference backend is this module's own ({@code dev.jrnn.core.scalar}, not exported;
 * {@link dev.jrnn.core.runtime.Backends#reference()} returns it).
 */
module dev.jrnn.core {
    requires java.management; // JitWatch: the JIT's compile time, which auto's races discount

    exports dev.jrnn.core.tensor;
    exports dev.jrnn.core.rnn;
    exports dev.jrnn.core.spi;
    exports dev.jrnn.core.runtime;

    uses dev.jrnn.core.spi.BackendProvider;

    provides dev.jrnn.core.spi.BackendProvider with dev.jrnn.core.scalar.ReferenceBackendProvider;
}

/**
 * The oneDNN backend ({@code onednn}): oneDNN's RNN primitives through the Foreign Function and
 * Memory API. Nothing is exported: the backend is a service, found by {@code dev.jrnn.core}.
 *
 * <p>It calls native code, so the JVM wants {@code --enable-native-access=dev.jrnn.onednn} on the
 * module path ({@code --enable-native-access=ALL-UNNAMED} on the class path). Without it the JDK
 * warns once and the backend works; under {@code --illegal-native-access=deny} the backend is
 * unavailable, with a reason naming the flag. The bundled library ({@code org.bytedeco:dnnl}'s
 * {@code linux-x86_64} jar) is read as resources, so that jar goes on the class path (its own
 * descriptor requires JavaCPP, which jrnn does not use).
 */
module dev.jrnn.onednn {
    requires dev.jrnn.core;

    provides dev.jrnn.core.spi.BackendProvider with dev.jrnn.onednn.OneDnnBackendProvider;
}

package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Availability;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The provider's probe: available with a description here, unavailable with a reason (never a crash) elsewhere. */
class ProviderTest {

    @Test
    void availableWhenTheIncubatorModuleIsLoaded() {
        Availability a = new SimdBackendProvider().probe();
        assertTrue(a.available(), a::reason);
        assertTrue(a.reason().matches("Vector API, (128|256|512)-bit float vectors .*"), a.reason());
        assertTrue(Backends.selector().names().contains("simd"));
    }

    @Test
    void autoSelectionPrefersSimdToTheReferenceFallback() {
        var d = new dev.jrnn.core.rnn.RnnDescriptor(dev.jrnn.core.rnn.CellKind.LSTM, 1,
                dev.jrnn.core.rnn.Direction.UNIDIRECTIONAL, 20, 4, 64, 128);
        var selector = new dev.jrnn.core.runtime.BackendSelector(
                List.of(provider("reference"), new SimdBackendProvider()),
                java.time.Duration.ofMillis(20));
        var decision = selector.decide(d, dev.jrnn.core.rnn.RnnWeights.uniform(d, 1));
        assertEquals("simd", decision.backend(), decision::toString);
        assertEquals("fallback only, not timed", decision.details().get("reference"), decision::toString);
    }

    @Test
    void unavailableWithTheReasonWhenTheModuleIsMissing() throws Exception {
        String out = childJvm(List.of());
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("reason=the JDK module jdk.incubator.vector is not loaded: start the JVM with "
                + "--add-modules jdk.incubator.vector"), out);
        assertTrue(out.contains("named=backend 'simd' is unavailable: the JDK module"), out);
        assertTrue(out.contains("auto=reference"), out);
    }

    @Test
    void anInvalidWidthIsAReasonNotACrash() throws Exception {
        String out = childJvm(List.of("--add-modules", "jdk.incubator.vector", "-Djrnn.simd.bits=300"));
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("reason=-Djrnn.simd.bits must be 128, 256 or 512, got '300'"), out);
        assertTrue(out.contains("auto=reference"), out);
    }

    private static dev.jrnn.core.spi.BackendProvider provider(String name) {
        return Backends.discover().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    /** A modular application needs no --add-modules: this module's descriptor requires the incubator module. */
    @Test
    void onTheModulePathTheDescriptorLoadsTheIncubatorModule() throws Exception {
        String out = java(List.of(
                "--module-path", location(Backends.class) + File.pathSeparator + location(SimdBackendProvider.class),
                "--patch-module", "dev.jrnn.simd=" + location(ProbeMain.class),
                "-m", "dev.jrnn.simd/" + ProbeMain.class.getName()));
        assertTrue(out.contains("available=true"), out);
        assertTrue(out.contains("named=ok"), out);
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    private static String childJvm(List<String> jvmArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ProbeMain.class.getName()));
        return java(command);
    }

    /** Runs a fresh JVM with {@code arguments}; returns what it printed, after checking it exited with 0. */
    private static String java(List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
        command.addAll(arguments);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}

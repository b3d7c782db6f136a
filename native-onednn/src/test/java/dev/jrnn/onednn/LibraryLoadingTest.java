package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the library comes from, each case in a fresh JVM (a JVM loads oneDNN once): bundled,
 * explicit, unloadable and hidden. In none does the JVM crash or the reference backend stop working.
 */
class LibraryLoadingTest {

    /** The cache folder of the bundled build: its Maven version, which the build passes in. */
    private static final String BUNDLED_FOLDER = "onednn-" + System.getProperty("jrnn.test.onednnJar") + "-linux-x86_64";

    @TempDir
    Path temp;

    @Test
    void onlyOneDnn313OrANewer3xIsAccepted() {
        assertTrue(OneDnnLibrary.supported("3.13.0"));
        assertTrue(OneDnnLibrary.supported("3.14.2"));
        assertFalse(OneDnnLibrary.supported("3.6.1"), "3.6.1 computes wrong RNN inference on AMD Zen 5");
        assertFalse(OneDnnLibrary.supported("3.1.0"));
        assertFalse(OneDnnLibrary.supported("2.7.3"));
        assertFalse(OneDnnLibrary.supported("4.0.0"));
        assertFalse(OneDnnLibrary.supported("3.x"));
    }

    @Test
    void theReportNamesTheVersionAndTheInstructionSet() throws Exception {
        String out = childJvm(classPath(), "-Djrnn.onednn.cache=" + temp.resolve("cache"));
        assertTrue(out.contains("reason=oneDNN " + OneDnnLibrary.MINIMUM_VERSION), out);
        assertTrue(out.contains(", ISA avx"), out);
    }

    @Test
    void theBundledBuildIsExtractedIntoAVersionedCacheAndLoaded() throws Exception {
        Path cache = temp.resolve("cache");
        String out = childJvm(classPath(), "-Djrnn.onednn.cache=" + cache);
        assertTrue(out.contains("available=true"), out);
        Path folder = cache.resolve(BUNDLED_FOLDER);
        assertTrue(out.contains("from bundled " + folder.resolve("libdnnl.so.3")), out);
        for (String library : List.of("libdnnl.so.3", "libgomp.so.1")) {
            assertTrue(Files.size(folder.resolve(library)) > 0, library);
        }
        try (var files = Files.list(folder)) {
            assertEquals(2, files.count(), "no partial files left behind");
        }
        assertEquals(value(out, "reference"), value(out, "onednn"), 1e-5);
        // a second JVM finds the cache in place and uses it
        assertTrue(childJvm(classPath(), "-Djrnn.onednn.cache=" + cache).contains("available=true"));
    }

    @Test
    void anExplicitPathWins() throws Exception {
        Path cache = temp.resolve("cache");
        childJvm(classPath(), "-Djrnn.onednn.cache=" + cache);
        Path library = cache.resolve(BUNDLED_FOLDER).resolve("libdnnl.so.3");
        String out = childJvm(classPath(), "-Djrnn.onednn.library=" + library);
        assertTrue(out.contains("available=true"), out);
        assertTrue(out.contains("from -Djrnn.onednn.library=" + library), out);
    }

    @Test
    void anExplicitPathThatIsNotALibraryIsReportedAndTheBundledBuildServes() throws Exception {
        Path notALibrary = Files.writeString(temp.resolve("libdnnl.so.3"), "not an ELF file");
        String out = childJvm(classPath(), "-Djrnn.onednn.library=" + notALibrary,
                "-Djrnn.onednn.cache=" + temp.resolve("cache"));
        assertTrue(out.contains("available=true"), out);
        assertTrue(out.contains("-Djrnn.onednn.library=" + notALibrary + ": cannot load"), out);
    }

    @Test
    void withTheLibraryHiddenTheBackendIsUnavailableWithEveryReasonAndTheOthersWork() throws Exception {
        String withoutJars = Arrays.stream(classPath().split(File.pathSeparator))
                .filter(entry -> !entry.contains("bytedeco"))
                .collect(Collectors.joining(File.pathSeparator));
        String out = childJvm(withoutJars, "-Djrnn.onednn.library=/nonexistent/libdnnl.so.3");
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("reason=oneDNN 3.x not found: -Djrnn.onednn.library=/nonexistent/libdnnl.so.3: no such file; "
                + "bundled build: org.bytedeco:dnnl:linux-x86_64 is not on the class path; "
                + "system libdnnl.so.3: cannot load libdnnl.so.3"), out);
        assertTrue(out.contains("named=backend 'onednn' is unavailable: oneDNN 3.x not found"), out);
        assertTrue(out.contains("reference="), out);
        assertTrue(!out.contains("onednn="), out);
    }

    @Test
    void withoutNativeAccessTheJdkWarnsNamingTheFlagAndTheBackendWorks() throws Exception {
        String out = java(List.of("-Djrnn.onednn.cache=" + temp.resolve("cache"),
                "-cp", classPath(), ProbeMain.class.getName()));
        assertTrue(out.contains("Use --enable-native-access=ALL-UNNAMED"), out);
        assertTrue(out.contains("available=true"), out);
    }

    @Test
    void whenNativeAccessIsDeniedTheReasonNamesTheFlag() throws Exception {
        String out = java(List.of("--illegal-native-access=deny", "-Djrnn.onednn.cache=" + temp.resolve("cache"),
                "-cp", classPath(), ProbeMain.class.getName()));
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("reason=oneDNN 3.x not found: native access is not enabled for the class path: "
                + "start the JVM with --enable-native-access=ALL-UNNAMED"), out);
        assertTrue(out.contains("named=backend 'onednn' is unavailable: oneDNN 3.x not found: native access"), out);
        assertTrue(out.contains("reference="), out);
    }

    /**
     * On the module path, as a modular application runs: the backend is found through the
     * descriptor's {@code provides}, oneDNN's jar serves from the class path, and native access is
     * asked for by the module's name.
     */
    @Test
    void onTheModulePathNativeAccessIsTheModulesAndTheBundledBuildServes() throws Exception {
        String dnnlJar = Arrays.stream(classPath().split(File.pathSeparator)).filter(entry -> entry.contains("bytedeco"))
                .findFirst().orElseThrow();
        List<String> modular = List.of(
                "--module-path", location(dev.jrnn.core.runtime.Backends.class) + File.pathSeparator
                        + location(OneDnnBackendProvider.class),
                "--patch-module", "dev.jrnn.onednn=" + location(ProbeMain.class),
                "--class-path", dnnlJar,
                "-Djrnn.onednn.cache=" + temp.resolve("cache"),
                "-m", "dev.jrnn.onednn/" + ProbeMain.class.getName());
        List<String> denied = new ArrayList<>(List.of("--illegal-native-access=deny"));
        denied.addAll(modular);
        String out = java(denied);
        assertTrue(out.contains("reason=oneDNN 3.x not found: native access is not enabled for module dev.jrnn.onednn: "
                + "start the JVM with --enable-native-access=dev.jrnn.onednn"), out);
        assertTrue(out.contains("reference="), out);

        List<String> enabled = new ArrayList<>(List.of("--illegal-native-access=deny", "--enable-native-access=dev.jrnn.onednn"));
        enabled.addAll(modular);
        out = java(enabled);
        assertTrue(out.contains("available=true"), out);
        assertTrue(out.contains("named=ok"), out);
        assertEquals(value(out, "reference"), value(out, "onednn"), 1e-5);
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    private static double value(String out, String key) {
        return out.lines().filter(l -> l.startsWith(key + "=")).mapToDouble(l -> Double.parseDouble(l.substring(key.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in " + out));
    }

    private static String classPath() {
        return System.getProperty("java.class.path");
    }

    private static String childJvm(String classPath, String... jvmArgs) throws IOException, InterruptedException {
        return childJvm(classPath, ProbeMain.class, List.of(), jvmArgs);
    }

    /** Runs {@code main} in a fresh JVM with {@code classPath}; returns what it printed, after checking it exited with 0. */
    static String childJvm(String classPath, Class<?> main, String... args) throws IOException, InterruptedException {
        return childJvm(classPath, main, List.of(args));
    }

    private static String childJvm(String classPath, Class<?> main, List<String> args, String... jvmArgs)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-cp", classPath, main.getName()));
        command.addAll(args);
        return java(command);
    }

    /** Runs a fresh JVM with {@code arguments}; returns what it printed, after checking it exited with 0. */
    private static String java(List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove(OneDnnLibrary.LIBRARY_ENV);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}

package dev.jrnn.onednn;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * Finds and loads oneDNN {@value #MINIMUM_VERSION} or a newer 3.x, once per JVM, trying in order:
 * <ol>
 *   <li>an explicit path, {@code -Djrnn.onednn.library=PATH} or {@code JRNN_ONEDNN_LIBRARY};
 *   <li>the build bundled in {@code org.bytedeco:dnnl} (with its {@code libgomp}) on the class
 *       path, extracted once into a versioned cache folder ({@code -Djrnn.onednn.cache}, else
 *       {@code $XDG_CACHE_HOME/jrnn} or {@code ~/.cache/jrnn}, else the temporary folder) and
 *       loaded by absolute path; the library's {@code RUNPATH} of {@code $ORIGIN} makes it find
 *       its neighbours there;
 *   <li>{@code libdnnl.so.3} from the system's library path.
 * </ol>
 * Each candidate must export {@code dnnl_version} and report 3.x, at least {@value #MINIMUM_VERSION}:
 * older builds have RNN kernels that return wrong numbers on some CPUs (3.6.1's AVX-512 brgemm
 * inference on AMD Zen 5), and the bindings are checked against {@value #MINIMUM_VERSION}'s
 * headers. Every failed attempt is recorded, and when none loads, the reasons are the backend's
 * availability message.
 */
final class OneDnnLibrary {

    static final String LIBRARY_PROPERTY = "jrnn.onednn.library";
    static final String LIBRARY_ENV = "JRNN_ONEDNN_LIBRARY";
    static final String CACHE_PROPERTY = "jrnn.onednn.cache";
    static final String SONAME = "libdnnl.so.3";
    /** The oldest oneDNN accepted, as "major.minor". */
    static final String MINIMUM_VERSION = "3.13";

    private static final String PLATFORM = "linux-x86_64";
    private static final String DNNL_RESOURCES = "org/bytedeco/dnnl/" + PLATFORM + "/";
    private static final String DNNL_POM = "META-INF/maven/org.bytedeco/dnnl/pom.properties";

    /**
     * A loaded library: its symbols, those of the OpenMP runtime it uses (empty when it has none
     * we can reach), where it came from and its version.
     */
    record Loaded(SymbolLookup dnnl, Optional<SymbolLookup> openmp, String source, String version) {
    }

    /** What {@link #load()} found: the library, or why not, attempt by attempt. */
    record Outcome(Loaded loaded, List<String> attempts) {
        boolean available() {
            return loaded != null;
        }

        String report() {
            return String.join("; ", attempts);
        }
    }

    private static Outcome outcome;

    private OneDnnLibrary() {
    }

    /** Loads oneDNN on the first call; later calls return the same outcome. Never throws. */
    static synchronized Outcome load() {
        if (outcome == null) {
            outcome = search();
        }
        return outcome;
    }

    /** The loaded library, or an {@link IllegalStateException} with every reason it is not. */
    static Loaded require() {
        Outcome o = load();
        if (!o.available()) {
            throw new IllegalStateException("oneDNN 3.x could not be loaded: " + o.report());
        }
        return o.loaded();
    }

    private static Outcome search() {
        List<String> attempts = new ArrayList<>();
        try {
            return search(attempts);
        } catch (IllegalCallerException e) {
            // --illegal-native-access=deny (the JDK's default only warns, naming the flag itself):
            // every candidate would fail alike, so one line that names the flag
            Module module = OneDnnLibrary.class.getModule();
            return new Outcome(null, List.of("native access is not enabled for "
                    + (module.isNamed() ? "module " + module.getName() : "the class path")
                    + ": start the JVM with --enable-native-access="
                    + (module.isNamed() ? module.getName() : "ALL-UNNAMED")));
        }
    }

    private static Outcome search(List<String> attempts) {
        Loaded loaded = explicit(attempts);
        if (loaded == null) {
            if (!attempts.getLast().startsWith("no explicit path")) {
                // asked for by name and not usable (e.g. older than 3.13): say so loudly, once
                System.getLogger("dev.jrnn.onednn").log(System.Logger.Level.WARNING,
                        "jrnn onednn: not using the library you named: " + attempts.getLast());
            }
            loaded = bundled(attempts);
        }
        if (loaded == null) {
            loaded = system(attempts);
        }
        return new Outcome(loaded, List.copyOf(attempts));
    }

    private static Loaded explicit(List<String> attempts) {
        String property = System.getProperty(LIBRARY_PROPERTY);
        String env = System.getenv(LIBRARY_ENV);
        String given = property != null && !property.isBlank() ? property : env;
        String origin = given == property ? "-D" + LIBRARY_PROPERTY : LIBRARY_ENV;
        if (given == null || given.isBlank()) {
            attempts.add("no explicit path (-D" + LIBRARY_PROPERTY + " or " + LIBRARY_ENV + ")");
            return null;
        }
        Path path = Path.of(given).toAbsolutePath();
        if (!Files.isRegularFile(path)) {
            attempts.add(origin + "=" + given + ": no such file");
            return null;
        }
        return open(path.toString(), origin + "=" + path, attempts,
                arena -> SymbolLookup.libraryLookup(path, arena), path.getParent());
    }

    private static Loaded bundled(List<String> attempts) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            attempts.add("bundled build: only for " + PLATFORM + ", this is " + os + "-" + arch);
            return null;
        }
        ClassLoader loader = OneDnnLibrary.class.getClassLoader();
        URL dnnl = loader.getResource(DNNL_RESOURCES + SONAME);
        URL gomp = loader.getResource(DNNL_RESOURCES + "libgomp.so.1");
        if (dnnl == null || gomp == null) {
            attempts.add("bundled build: org.bytedeco:dnnl:" + PLATFORM + " is not on the class path");
            return null;
        }
        Path folder = null;
        List<String> failures = new ArrayList<>();
        for (Path root : cacheRoots()) {
            try {
                Path candidate = root.resolve("onednn-" + bundledVersion(loader) + "-" + PLATFORM);
                Files.createDirectories(candidate);
                extract(dnnl, candidate.resolve(SONAME));
                extract(gomp, candidate.resolve("libgomp.so.1"));
                folder = candidate;
                break;
            } catch (IOException | RuntimeException e) {
                failures.add(root + ": " + e);
            }
        }
        if (folder == null) {
            attempts.add("bundled build: cannot extract it: " + String.join(", ", failures));
            return null;
        }
        Path library = folder.resolve(SONAME);
        return open(library.toString(), "bundled " + library, attempts,
                arena -> SymbolLookup.libraryLookup(library, arena), folder);
    }

    private static Loaded system(List<String> attempts) {
        return open(SONAME, "system " + SONAME, attempts, arena -> SymbolLookup.libraryLookup(SONAME, arena), null);
    }

    @FunctionalInterface
    private interface Opener {
        SymbolLookup open(Arena arena);
    }

    /**
     * Opens a candidate and checks its version. The arena of a rejected candidate is closed, which
     * unloads it; an accepted one stays loaded for the JVM's life.
     */
    private static Loaded open(String what, String source, List<String> attempts, Opener opener, Path folder) {
        Arena arena = Arena.ofShared();
        try {
            SymbolLookup dnnl = opener.open(arena);
            String version = version(dnnl);
            if (!supported(version)) {
                arena.close();
                attempts.add(source + ": oneDNN " + version + ", jrnn needs oneDNN " + MINIMUM_VERSION
                        + " or a newer 3.x");
                return null;
            }
            attempts.add(source + ": oneDNN " + version);
            return new Loaded(dnnl, openmp(arena, folder), source, version);
        } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
            arena.close();
            attempts.add(source + ": cannot load " + what + ": " + e.getMessage());
            return null;
        } catch (IllegalCallerException e) {
            arena.close();
            throw e; // native access denied: see search()
        } catch (RuntimeException e) {
            arena.close();
            attempts.add(source + ": " + e);
            return null;
        }
    }

    /** Whether a "major.minor.patch" version is 3.x and at least {@link #MINIMUM_VERSION}. */
    static boolean supported(String version) {
        String[] parts = version.split("\\.");
        String[] minimum = MINIMUM_VERSION.split("\\.");
        try {
            return parts.length >= 2 && parts[0].equals(minimum[0])
                    && Integer.parseInt(parts[1]) >= Integer.parseInt(minimum[1]);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** "major.minor.patch" from {@code dnnl_version()}. */
    private static String version(SymbolLookup dnnl) {
        MemorySegment function = dnnl.find("dnnl_version")
                .orElseThrow(() -> new UnsatisfiedLinkError("no symbol dnnl_version: not oneDNN"));
        MethodHandle handle = Linker.nativeLinker().downcallHandle(function, FunctionDescriptor.of(dnnl_h.C_POINTER));
        MemorySegment v;
        try {
            v = ((MemorySegment) handle.invokeExact()).reinterpret(dnnl_h.dnnl_version_t.byteSize());
        } catch (Throwable t) {
            throw new IllegalStateException("dnnl_version failed", t);
        }
        return v.get(dnnl_h.C_INT, 0) + "." + v.get(dnnl_h.C_INT, 4) + "." + v.get(dnnl_h.C_INT, 8);
    }

    /**
     * The OpenMP runtime oneDNN was linked with, to set its thread count: the copy beside the
     * library if there is one, else the one already loaded under its usual name.
     */
    private static Optional<SymbolLookup> openmp(Arena arena, Path folder) {
        List<String> candidates = new ArrayList<>();
        if (folder != null && Files.isRegularFile(folder.resolve("libgomp.so.1"))) {
            candidates.add(folder.resolve("libgomp.so.1").toString());
        }
        candidates.add("libgomp.so.1");
        candidates.add("libiomp5.so");
        for (String candidate : candidates) {
            try {
                SymbolLookup lookup = candidate.startsWith("/")
                        ? SymbolLookup.libraryLookup(Path.of(candidate), arena)
                        : SymbolLookup.libraryLookup(candidate, arena);
                if (lookup.find("omp_set_num_threads").isPresent()) {
                    return Optional.of(lookup);
                }
            } catch (IllegalArgumentException ignored) {
                // not there: try the next
            }
        }
        return Optional.empty();
    }

    /** Where to extract: the configured or usual cache folder, else (read-only home) the temporary folder. */
    private static List<Path> cacheRoots() {
        List<Path> roots = new ArrayList<>();
        String property = System.getProperty(CACHE_PROPERTY);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (property != null && !property.isBlank()) {
            roots.add(Path.of(property));
        } else if (xdg != null && !xdg.isBlank()) {
            roots.add(Path.of(xdg, "jrnn"));
        } else {
            roots.add(Path.of(System.getProperty("user.home"), ".cache", "jrnn"));
        }
        roots.add(Path.of(System.getProperty("java.io.tmpdir"), "jrnn-" + System.getProperty("user.name")));
        return roots;
    }

    private static String bundledVersion(ClassLoader loader) throws IOException {
        try (InputStream in = loader.getResourceAsStream(DNNL_POM)) {
            if (in == null) {
                return "unknown";
            }
            Properties pom = new Properties();
            pom.load(in);
            return pom.getProperty("version", "unknown");
        }
    }

    /**
     * Writes the resource to {@code target} unless a file of the same size is there: into a
     * temporary file first, then renamed, so a concurrent JVM or a crash never leaves half a library.
     */
    private static void extract(URL resource, Path target) throws IOException {
        URLConnection connection = resource.openConnection();
        long size = connection.getContentLengthLong();
        if (Files.isRegularFile(target) && Files.size(target) == size) {
            return;
        }
        Path partial = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".partial");
        try (InputStream in = connection.getInputStream()) {
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}

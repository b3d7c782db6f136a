package dev.jrnn.core.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Auto's decisions remembered between processes, as cuDNN's and TVM's tuning caches are: timing
 * the candidates costs a second or more per shape and use, more than a short command's whole
 * work, so a decision measured once on a machine is kept in a small text file and read back by
 * the next process. A line counts only under the same fingerprint (the CPU, the JDK, the thread
 * count and the build of every backend's jar), so another machine, JDK, jrnn build or thread count
 * is measured afresh. Delete the file to measure again. At most {@link #MAX_LINES} lines are kept;
 * the file is replaced atomically (a temporary file, then a rename), and an unreadable or
 * malformed file is ignored, never fatal. Backends keep their own measured choices the same way
 * (simd's register tile), each in its own file.
 */
public final class DecisionStore {

    static final int MAX_LINES = 1024;

    private final Path file;
    private final String fingerprint;

    public DecisionStore(Path file, String fingerprint) {
        this.file = Objects.requireNonNull(file, "file");
        this.fingerprint = clean(fingerprint);
    }

    /** {@code $XDG_CACHE_HOME/jrnn/auto-decisions.tsv}, else {@code ~/.cache/jrnn/auto-decisions.tsv}. */
    static Path defaultFile() {
        return directory().resolve("auto-decisions.tsv");
    }

    /** Where jrnn keeps what it measured: {@code $XDG_CACHE_HOME/jrnn}, else {@code ~/.cache/jrnn}. */
    public static Path directory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("jrnn");
    }

    public Path file() {
        return file;
    }

    /** The backend remembered for {@code key} under this fingerprint, or null. */
    public synchronized String recall(String key) {
        return read().get(clean(key));
    }

    /** Remembers {@code backend} for {@code key}; a failure to write costs only the memory. */
    public synchronized void remember(String key, String backend) {
        Map<String, String> lines = readAll();
        String k = fingerprint + '\t' + clean(key);
        lines.remove(k);
        lines.put(k, clean(backend)); // last: the most recent
        List<String> out = new ArrayList<>();
        lines.forEach((prefix, name) -> out.add(prefix + '\t' + name));
        List<String> kept = out.subList(Math.max(0, out.size() - MAX_LINES), out.size());
        try {
            Files.createDirectories(file.getParent());
            Path temp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            try {
                Files.write(temp, kept, StandardCharsets.UTF_8);
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger("dev.jrnn.runtime").log(System.Logger.Level.DEBUG, "cannot write " + file + ": " + e);
        }
    }

    /** This fingerprint's decisions by key. */
    private Map<String, String> read() {
        Map<String, String> mine = new LinkedHashMap<>();
        readAll().forEach((prefix, backend) -> {
            int tab = prefix.indexOf('\t');
            if (prefix.substring(0, tab).equals(fingerprint)) {
                mine.put(prefix.substring(tab + 1), backend);
            }
        });
        return mine;
    }

    /** Every well-formed line: "fingerprint TAB key" to backend, in file order. */
    private Map<String, String> readAll() {
        Map<String, String> all = new LinkedHashMap<>();
        try {
            if (Files.isRegularFile(file) && Files.size(file) < (1 << 20)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String[] parts = line.split("\t", -1);
                    if (parts.length == 3 && !parts[0].isEmpty() && !parts[1].isEmpty() && !parts[2].isEmpty()) {
                        all.put(parts[0] + '\t' + parts[1], parts[2]);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable or not text: measure afresh
        }
        return all;
    }

    private static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }
}

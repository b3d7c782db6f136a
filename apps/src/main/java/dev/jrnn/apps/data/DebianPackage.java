package dev.jrnn.apps.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Files from a Debian package, fetched once with apt's own client ({@code apt-get download}, one
 * {@code .deb} without its dependencies or scripts), unpacked with {@code dpkg-deb -x} into jrnn's
 * cache ({@code ~/.cache/jrnn/data/debian-NAME}) and verified against a SHA-256. The package version
 * is deliberately not pinned (Debian moves it); the checksum of the file we read is.
 *
 * @param name the package, e.g. {@code trans-de-en}
 */
public record DebianPackage(String name) {

    /**
     * The verified file at {@code path} inside the package (e.g. {@code usr/share/trans/de-en}),
     * fetched first if the cache does not have it.
     */
    public Path file(String path, String sha256) throws IOException {
        Path file = root().resolve(path);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Debian package " + name + " has no " + path);
        }
        String actual = NpmPackage.sha256(Files.readAllBytes(file));
        if (!actual.equals(sha256)) {
            throw new IOException(name + " " + path + " has SHA-256 " + actual + ", expected " + sha256
                    + " (the Debian package changed; check the new file and update the checksum in Corpora)");
        }
        return file;
    }

    /**
     * The verified folder at {@code path} inside the package: {@code sha256} is the checksum of
     * every regular file under it (symbolic links skipped), in name order, each as its relative name, a zero byte, and its content.
     */
    public Path folder(String path, String sha256) throws IOException {
        Path folder = root().resolve(path);
        if (!Files.isDirectory(folder)) {
            throw new IOException("Debian package " + name + " has no folder " + path);
        }
        String actual = treeSha256(folder);
        if (!actual.equals(sha256)) {
            throw new IOException(name + " " + path + "/ has SHA-256 " + actual + ", expected " + sha256
                    + " (the Debian package changed; check the new files and update the checksum in Corpora)");
        }
        return folder;
    }

    /** The unpacked package, fetched and unpacked first if the cache does not have it. */
    Path root() throws IOException {
        Path root = NpmPackage.cacheRoot().resolve("debian-" + name);
        if (Files.isDirectory(root)) {
            return root;
        }
        Files.createDirectories(root.getParent());
        Path work = Files.createTempDirectory(root.getParent(), "fetch-" + name + "-");
        try {
            download(work);
            Path deb;
            try (var files = Files.list(work)) {
                deb = files.filter(f -> f.toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new IOException("apt-get download " + name + " left no .deb"));
            }
            Path unpacked = work.resolve("root");
            run(List.of("dpkg-deb", "-x", deb.toString(), unpacked.toString()), work);
            Files.move(unpacked, root, StandardCopyOption.ATOMIC_MOVE);
            return root;
        } finally {
            delete(work);
        }
    }

    /** {@code apt-get download}; when apt's lists do not know the package yet, refreshes them once (as root) and retries. */
    private void download(Path work) throws IOException {
        try {
            run(List.of("apt-get", "download", name), work);
        } catch (IOException e) {
            if (!e.getMessage().contains("Unable to locate package") && !e.getMessage().contains("has no installation candidate")) {
                throw e;
            }
            if (!"root".equals(System.getProperty("user.name"))) {
                throw new IOException("apt does not know the Debian package " + name + "; run 'sudo apt-get update' once and try again");
            }
            run(List.of("apt-get", "update", "-qq"), work);
            run(List.of("apt-get", "download", name), work);
        }
    }

    private void run(List<String> command, Path directory) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("fetching the Debian package " + name + " needs " + command.get(0)
                    + " (a Debian or Ubuntu machine): " + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out.strip().replace('\n', ' '));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + name);
        }
    }

    static String treeSha256(Path folder) throws IOException {
        List<Path> files = new ArrayList<>();
        try (var walk = Files.walk(folder)) {
            walk.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).forEach(files::add);
        }
        files.sort(Comparator.comparing(f -> folder.relativize(f).toString()));
        var all = new java.io.ByteArrayOutputStream();
        for (Path f : files) {
            all.writeBytes(folder.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
            all.write(0);
            all.writeBytes(Files.readAllBytes(f));
        }
        return NpmPackage.sha256(all.toByteArray());
    }

    private static void delete(Path tree) throws IOException {
        try (var files = Files.walk(tree)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}

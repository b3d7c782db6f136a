package dev.jrnn.models.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file so that readers see either the old file or the whole new one, never half of it:
 * the content goes to a temporary file in the same folder, is forced to disk, then renamed over
 * the target. A failure leaves the target as it was and removes the temporary file; a process
 * killed while writing leaves it behind, and {@link #removeLeftovers} removes such files.
 */
public final class AtomicFiles {

    /** Writes the content to an output stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private static final String SUFFIX = ".partial";

    private AtomicFiles() {
    }

    /**
     * Deletes the temporary files that writes of {@code target} left when their process was killed
     * ({@code .NAME.<random>.partial} beside it); returns how many. Only for a target that nothing
     * else is writing now: a write in progress would lose its temporary file and fail.
     */
    public static int removeLeftovers(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        String prefix = "." + absolute.getFileName() + ".";
        int removed = 0;
        try (var files = Files.newDirectoryStream(folder, f -> isTemporaryOf(f.getFileName().toString(), prefix))) {
            for (Path f : files) {
                removed += Files.deleteIfExists(f) ? 1 : 0;
            }
        }
        return removed;
    }

    private static boolean isTemporaryOf(String name, String prefix) {
        if (!name.startsWith(prefix) || !name.endsWith(SUFFIX)) {
            return false;
        }
        String random = name.substring(prefix.length(), name.length() - SUFFIX.length());
        return !random.isEmpty() && random.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'z');
    }

    public static void write(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        Files.createDirectories(folder);
        // not Files.createTempFile: its 0600 would become the target's; a new file takes the umask's permissions
        Path temporary = folder.resolve("." + absolute.getFileName() + "."
                + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36) + SUFFIX);
        Files.createFile(temporary);
        try {
            try (var channel = Files.newByteChannel(temporary, java.nio.file.StandardOpenOption.WRITE);
                 OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel), 1 << 16)) {
                content.writeTo(out);
                out.flush();
                if (channel instanceof java.nio.channels.FileChannel file) {
                    file.force(true);
                }
            }
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}

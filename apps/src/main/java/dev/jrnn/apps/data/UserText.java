package dev.jrnn.apps.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A user's plain text, read whole as UTF-8. Every mistake is an {@link IOException} whose message
 * names the file (and, for bytes that are not UTF-8, the line), so a command prints it as one line.
 */
public final class UserText {

    /** Text is read whole; a file larger than this is refused rather than exhausting the heap. */
    static final long MAX_BYTES = 1L << 30;

    private UserText() {
    }

    /** The text of {@code file}: UTF-8 (a byte-order mark dropped), not empty or blank. */
    public static String read(Path file) throws IOException {
        String text = decode(file, bytes(file));
        if (text.isBlank()) {
            throw new IOException(file + ": the file is empty (expected UTF-8 text)");
        }
        return text;
    }

    /** The texts of {@code files}, each {@link #read}, joined by a line break. */
    public static String read(List<Path> files) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no text files given");
        }
        StringBuilder all = new StringBuilder();
        for (Path file : files) {
            if (!all.isEmpty() && all.charAt(all.length() - 1) != '\n') {
                all.append('\n');
            }
            all.append(read(file));
            if (all.length() > MAX_BYTES) {
                throw new IOException(file + ": the texts together are longer than " + MAX_BYTES + " characters, more than is read whole");
            }
        }
        return all.toString();
    }

    /** The bytes of {@code file}, refusing one too large to read whole. */
    static byte[] bytes(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException(file + ": " + size + " bytes, more than a text read whole may hold (" + MAX_BYTES + ")");
        }
        return Files.readAllBytes(file);
    }

    /**
     * {@code bytes} as UTF-8, a leading byte-order mark dropped; bytes that are not UTF-8 are an
     * {@link IOException} naming the file, the line and the byte.
     */
    public static String decode(Path file, byte[] bytes) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            long line = 1;
            for (int i = 0; i < at; i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new IOException(String.format(Locale.ROOT, "%s:%d: byte 0x%02X is not UTF-8 (expected UTF-8 text: "
                    + "save the file as UTF-8)", file, line, bytes[at] & 0xff));
        }
        out.flip();
        if (out.hasRemaining() && out.charAt(0) == '\uFEFF') {
            out.get();
        }
        return out.toString();
    }
}

package dev.jrnn.apps.speech;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * WAV files as the speech features expect them: RIFF, PCM, mono, 16-bit, {@link Features#SAMPLE_RATE}
 * samples a second. Anything else is an {@link IOException} saying what was found and what was
 * expected (with the sox line that converts it), and a file whose chunks run past its end is one
 * too: no sample is made up, and nothing is allocated beyond the file's own size.
 */
public final class Wav {

    /** A clip is read whole; a larger file is refused rather than exhausting the heap (about 9 hours of speech). */
    static final long MAX_BYTES = 1L << 30;

    private Wav() {
    }

    /** The samples of {@code file}, scaled to [-1, 1); messages start with the file's name. */
    public static float[] read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException(file + ": " + size + " bytes, more than a clip read whole may hold (" + MAX_BYTES + ")");
        }
        try {
            return read(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    /** The samples of the WAV file {@code wav}, scaled to [-1, 1). */
    public static float[] read(byte[] wav) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        if (wav.length < 12 || b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) { // "RIFF", "WAVE"
            throw new IOException("not a WAV file (expected RIFF and WAVE in its first 12 bytes)");
        }
        boolean format = false;
        for (long at = 12; at + 8 <= wav.length; ) {
            String id = new String(wav, (int) at, 4, StandardCharsets.US_ASCII);
            long size = Integer.toUnsignedLong(b.getInt((int) at + 4)), body = at + 8;
            if (body + size > wav.length) {
                throw new IOException("truncated: the '" + printable(id) + "' chunk at byte " + at + " declares " + size
                        + " bytes, " + (wav.length - body) + " follow");
            }
            if (id.equals("fmt ")) {
                if (size < 16) {
                    throw new IOException("a format chunk of " + size + " bytes (expected at least 16)");
                }
                int kind = b.getShort((int) body) & 0xffff, channels = b.getShort((int) body + 2) & 0xffff;
                long rate = Integer.toUnsignedLong(b.getInt((int) body + 4));
                int bits = b.getShort((int) body + 14) & 0xffff;
                if (kind != 1 || channels != 1 || rate != Features.SAMPLE_RATE || bits != 16) {
                    throw new IOException((kind == 1 ? "PCM" : "format " + kind + (kind == 3 ? " (float)" : " (not PCM)")) + ", "
                            + (channels == 1 ? "mono" : channels + " channels") + ", " + bits + "-bit, " + rate + " Hz where "
                            + Features.SAMPLE_RATE + " Hz mono 16-bit PCM is expected (sox IN.wav -r " + Features.SAMPLE_RATE
                            + " -c 1 -b 16 OUT.wav converts it)");
                }
                format = true;
            } else if (id.equals("data")) {
                if (!format) {
                    throw new IOException("a data chunk before the format chunk");
                }
                int samples = (int) (size / 2);
                float[] out = new float[samples];
                for (int i = 0; i < samples; i++) {
                    out[i] = b.getShort((int) body + 2 * i) / 32768f;
                }
                return out;
            }
            at = body + size + (size & 1); // chunks are padded to even sizes
        }
        throw new IOException(format ? "no data chunk" : "no format chunk (expected 'fmt ' and 'data' chunks)");
    }

    /** A chunk id as text, its unprintable bytes as '?'. */
    private static String printable(String id) {
        return id.chars().map(c -> c >= 0x20 && c < 0x7f ? c : '?').collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}

package dev.jrnn.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.tensor.FloatTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips, the format's rules, and hostile files: each fails with an IOException that says why. */
class SafeTensorsTest {

    @TempDir
    Path temp;

    private static Map<String, FloatTensor> sample() {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        tensors.put("weight_ih_l0", FloatTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        tensors.put("bias \"quoted\"", FloatTensor.of(new float[] {-1.5f, 7e-9f, 3}, 3));
        tensors.put("one", FloatTensor.zeros(1, 1));
        return tensors;
    }

    @Test
    void roundTripsNamesShapesValuesAndOrder() throws IOException {
        Path file = temp.resolve("w.safetensors");
        SafeTensors.write(file, sample(), Map.of("format", "pt"));
        Map<String, FloatTensor> back = SafeTensors.read(file);
        assertEquals(List.copyOf(sample().keySet()), List.copyOf(back.keySet()));
        sample().forEach((name, t) -> {
            assertEquals(t.shape(), back.get(name).shape(), name);
            assertArrayEquals(t.toArray(), back.get(name).toArray(), name);
        });
        long headerBytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerBytes % 8, "header padded to 8 bytes");
        assertEquals(Files.size(file), 8 + headerBytes + 4 * 10);
        try (var files = Files.list(temp)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }

    /** A file with the given header and data bytes. */
    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return Files.write(temp.resolve("f" + System.nanoTime() + ".safetensors"), b.array());
    }

    private static String message(Path path) {
        return assertThrows(IOException.class, () -> SafeTensors.read(path)).getMessage();
    }

    /** Written files get the permissions any new file gets there (the umask's), not a temporary file's 0600. */
    @Test
    void writtenFilesHaveTheFoldersUsualPermissions() throws IOException {
        Path file = temp.resolve("shared.safetensors"), plain = Files.createFile(temp.resolve("plain"));
        SafeTensors.write(file, sample(), Map.of());
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
        try (var left = Files.list(temp)) {
            assertEquals(List.of(), left.filter(p -> p.toString().endsWith(".partial")).toList());
        }
    }

    @Test
    void malformedFilesAreRejectedWithTheReason() throws IOException {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertEquals(2, SafeTensors.read(file(ok, 8)).get("a").size());
        assertTrue(message(file(ok, 4)).contains("outside the 4 bytes of data"));
        assertTrue(message(file(ok, 12)).contains("cover 8 of the 12 bytes"));
        assertTrue(message(file(ok.replace("F32", "I64").replace("[2]", "[1]"), 8)).contains("is I64; jrnn reads F32"));
        assertTrue(message(file(ok.replace("F32", "Q7"), 8)).contains("unknown dtype Q7"));
        assertTrue(message(file(ok.replace("[2]", "[0,2]").replace("[0,8]", "[0,0]"), 0)).contains("sizes >= 1"));
        // a tensor not asked for is checked but not decoded: an integer buffer does not get in the way
        String mixed = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        assertEquals(List.of("a"), List.copyOf(SafeTensors.read(file(mixed, 16), name -> !name.equals("n")).keySet()));
        assertTrue(message(file(ok.replace("[2]", "[3]"), 8)).contains("needs 12 bytes, data_offsets give 8"));
        assertTrue(message(file(ok.replace("[2]", "[-2]"), 8)).contains("not in [0, 2^31)"));
        assertTrue(message(file(ok.replace("[2]", "[65536,65536,65536]"), 8)).contains("more than 2^31 elements"));
        assertTrue(message(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)).contains("tensors overlap"));
        assertTrue(message(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)).contains("a hole"));
        assertTrue(message(file("[1,2]", 0)).contains("not a JSON object"));
        assertTrue(message(file("{\"a\":", 0)).contains("malformed JSON"));
        assertTrue(message(file("[".repeat(100) + "]".repeat(100), 0)).contains("nested deeper than"));
        assertTrue(message(file(ok.replace("}}", "},\"a\":1}"), 8)).contains("duplicate key"));
        assertTrue(message(file("{\"__metadata__\":{\"k\":1}}", 0)).contains("must map strings to strings"));
        Path hugeHeader = Files.write(temp.resolve("huge.safetensors"),
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertTrue(message(hugeHeader).contains("header length 9223372036854775807 is not between"));
        Path tiny = Files.write(temp.resolve("tiny.safetensors"), new byte[3]);
        assertTrue(message(tiny).contains("shorter than the 8-byte header length"));
        byte[] notUtf8 = {8, 0, 0, 0, 0, 0, 0, 0, '{', (byte) 0xff, '}', ' ', ' ', ' ', ' ', ' '};
        assertTrue(message(Files.write(temp.resolve("u.safetensors"), notUtf8)).contains("not UTF-8"));
    }

    @Test
    void randomlyDamagedFilesEitherReadOrFailWithAnIOException() throws IOException {
        Path good = temp.resolve("good.safetensors");
        SafeTensors.write(good, sample());
        byte[] bytes = Files.readAllBytes(good);
        SplittableRandom random = new SplittableRandom(11);
        Path damaged = temp.resolve("damaged.safetensors");
        int rejected = 0;
        for (int trial = 0; trial < 3000; trial++) {
            byte[] copy = bytes.clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
            }
            byte[] cut = random.nextInt(10) == 0 ? java.util.Arrays.copyOf(copy, random.nextInt(copy.length)) : copy;
            Files.write(damaged, cut);
            try {
                SafeTensors.read(damaged);
            } catch (IOException expected) {
                rejected++;
            }
            // anything else (a RuntimeException, an OutOfMemoryError) fails the test
        }
        assertTrue(rejected > 1000, "most damage is detected: " + rejected);
    }
}

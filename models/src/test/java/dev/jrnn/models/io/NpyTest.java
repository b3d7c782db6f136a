package dev.jrnn.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.tensor.FloatTensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npy files as numpy.save writes them ({@code make_io_fixtures.py}), and ours as numpy would. */
class NpyTest {

    @TempDir
    Path temp;

    static Path fixture(String name) {
        try {
            return Path.of(NpyTest.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsWhatNumpyWrites() throws IOException {
        FloatTensor a = Npy.read(fixture("f32_2x3.npy"));
        assertArrayEquals(new int[] {2, 3}, a.shape().dims());
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f, 1, 1.25f}, a.toArray());
        assertArrayEquals(new float[] {1.5f, -2, 0, 3e-8f, 7}, Npy.read(fixture("f32_5.npy")).toArray());
        FloatTensor d = Npy.read(fixture("f64_2x2x2.npy"));
        assertArrayEquals(new int[] {2, 2, 2}, d.shape().dims());
        assertEquals((float) (7 / 3.0), d.get(1, 1, 1));
    }

    @Test
    void readsIntegersAsNumpyWritesThem() throws IOException {
        Npy.Integers i64 = Npy.readIntegers(fixture("i64_3.npy"));
        assertArrayEquals(new int[] {3}, i64.shape());
        assertArrayEquals(new long[] {0, 1, 2}, i64.values());
        assertArrayEquals(new long[] {1L << 40, -5}, Npy.readIntegers(fixture("i64_big.npy")).values());
        Npy.Integers i32 = Npy.readIntegers(fixture("i32_2x2.npy"));
        assertArrayEquals(new int[] {2, 2}, i32.shape());
        assertArrayEquals(new long[] {7, -1, Integer.MAX_VALUE, 0}, i32.values());
        String u8 = assertThrows(IOException.class, () -> Npy.readIntegers(fixture("u8_2.npy"))).getMessage();
        assertTrue(u8.contains("not an int64 or int32 .npy array: dtype '|u1'"), u8);
        String floats = assertThrows(IOException.class, () -> Npy.readIntegers(fixture("f32_5.npy"))).getMessage();
        assertTrue(floats.contains("dtype '<f4'"), floats);
    }

    @Test
    void writesWhatNumpyWritesByteForByte() throws IOException {
        Path ours = temp.resolve("a.npy");
        Npy.write(ours, Npy.read(fixture("f32_2x3.npy")));
        assertArrayEquals(Files.readAllBytes(fixture("f32_2x3.npy")), Files.readAllBytes(ours));
        Npy.write(ours, Npy.read(fixture("f32_5.npy")));
        assertArrayEquals(Files.readAllBytes(fixture("f32_5.npy")), Files.readAllBytes(ours));
        // a strided view is written in C order
        FloatTensor t = FloatTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).permute(1, 0);
        Npy.write(ours, t);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, Npy.read(ours).toArray());
    }

    @Test
    void whatItCannotReadIsNamed() throws IOException {
        assertTrue(message(fixture("fortran_2x3.npy")).contains("Fortran order"));
        assertTrue(message(fixture("i64_3.npy")).contains("dtype '<i8'"));
        byte[] good = Files.readAllBytes(fixture("f32_2x3.npy"));
        Path truncated = Files.write(temp.resolve("t.npy"), java.util.Arrays.copyOf(good, good.length - 4));
        assertTrue(message(truncated).contains("needs 24 bytes of data, the file has 20"), message(truncated));
        Path text = Files.writeString(temp.resolve("x.npy"), "hello");
        assertTrue(message(text).contains("no .npy magic number"), message(text));
    }

    private static String message(Path path) {
        return assertThrows(IOException.class, () -> Npy.read(path)).getMessage();
    }
}

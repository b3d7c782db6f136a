package dev.jrnn.spark;

import java.util.List;

/**
 * Reads one cell of a row as what a model takes: token ids ({@code array<int>}, or any integral
 * array) or feature frames ({@code array<array<float>>}, or double). Spark hands arrays over as
 * Java lists (a {@link org.apache.spark.sql.Row}) or Scala sequences (a UDF's argument); both are
 * read. A malformed cell is an {@link IllegalArgumentException} saying what is wrong with it; the
 * caller adds where the row is.
 */
final class Cells {

    private Cells() {
    }

    /** {@code value} as a list, or null if it is null. */
    static List<?> list(Object value, String what) {
        return switch (value) {
            case null -> null;
            case List<?> l -> l;
            case scala.collection.Seq<?> s -> scala.jdk.javaapi.CollectionConverters.asJava(s);
            case float[] a -> java.util.stream.IntStream.range(0, a.length).mapToObj(i -> a[i]).toList();
            case int[] a -> java.util.Arrays.stream(a).boxed().toList();
            default -> throw new IllegalArgumentException(what + " is a " + value.getClass().getSimpleName() + ", not an array");
        };
    }

    /** Token ids below {@code vocabulary}; null for a null cell. */
    static int[] tokens(Object value, int vocabulary) {
        List<?> ids = list(value, "the sequence");
        if (ids == null) {
            return null;
        }
        int[] out = new int[ids.size()];
        for (int t = 0; t < out.length; t++) {
            Object id = ids.get(t);
            if (!(id instanceof Integer || id instanceof Long || id instanceof Short || id instanceof Byte)) {
                throw new IllegalArgumentException("token " + t + " is " + (id == null ? "null" : "a " + id.getClass().getSimpleName())
                        + ", expected a token id in [0, " + vocabulary + ")");
            }
            long v = ((Number) id).longValue();
            if (v < 0 || v >= vocabulary) {
                throw new IllegalArgumentException("token " + t + " is " + v + ", expected a token id in [0, " + vocabulary + ")");
            }
            out[t] = (int) v;
        }
        return out;
    }

    /** Frames of {@code features} values each; null for a null cell. */
    static float[][] frames(Object value, int features) {
        List<?> frames = list(value, "the sequence");
        if (frames == null) {
            return null;
        }
        float[][] out = new float[frames.size()][];
        for (int t = 0; t < out.length; t++) {
            List<?> frame = list(frames.get(t), "frame " + t);
            if (frame == null || frame.size() != features) {
                throw new IllegalArgumentException("frame " + t + " has " + (frame == null ? "no values (null)" : frame.size() + " values")
                        + ", the model reads " + features + " features a step");
            }
            out[t] = numbers(frame, "frame " + t);
        }
        return out;
    }

    /** A list of numbers as floats. */
    static float[] numbers(List<?> values, String what) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(values.get(i) instanceof Number x)) {
                throw new IllegalArgumentException(what + ": value " + i + " is " + (values.get(i) == null ? "null" : "not a number"));
            }
            out[i] = x.floatValue();
        }
        return out;
    }
}

package dev.jrnn.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;

/** The one SparkSession of a test JVM (surefire forks one JVM per test class): two task slots, no UI, loopback only. */
final class LocalSpark {

    private LocalSpark() {
    }

    static SparkSession session() {
        return SparkSession.builder()
                .appName("jrnn-spark-test")
                .master("local[2]")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.default.parallelism", "2")
                .getOrCreate();
    }

    /** {@code n} token sequences of random lengths in [1, maxLength], ids below {@code vocabulary}. */
    static List<int[]> tokens(int n, int maxLength, int vocabulary, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(r.ints(1 + r.nextInt(maxLength), 0, vocabulary).toArray());
        }
        return out;
    }

    /** {@code n} feature sequences of random lengths in [minLength, maxLength], {@code features} values a frame. */
    static List<float[][]> frames(int n, int minLength, int maxLength, int features, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<float[][]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[][] s = new float[minLength + r.nextInt(maxLength - minLength + 1)][features];
            for (float[] frame : s) {
                for (int j = 0; j < features; j++) {
                    frame[j] = (float) r.nextGaussian();
                }
            }
            out.add(s);
        }
        return out;
    }

    /** Java lists for Spark rows: {@code array<array<float>>}. */
    static List<List<Float>> asList(float[][] frames) {
        List<List<Float>> out = new ArrayList<>();
        for (float[] f : frames) {
            List<Float> frame = new ArrayList<>();
            for (float v : f) {
                frame.add(v);
            }
            out.add(frame);
        }
        return out;
    }

    /** One sequence as a batch of one, {@code [T][1]}. */
    static int[][] column(int[] ids) {
        int[][] out = new int[ids.length][1];
        for (int t = 0; t < ids.length; t++) {
            out[t][0] = ids[t];
        }
        return out;
    }

    static List<Integer> asList(int[] ids) {
        return java.util.Arrays.stream(ids).boxed().toList();
    }
}

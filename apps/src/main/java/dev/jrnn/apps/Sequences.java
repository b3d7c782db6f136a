package dev.jrnn.apps;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.List;

/** Batching and reading out helpers shared by the commands that classify sequences of feature frames. */
final class Sequences {

    private Sequences() {
    }

    /** A time-first batch {@code [longest, N, F]}, zero past each sequence's length, and the lengths. */
    record Padded(FloatTensor x, int[] lengths) {
    }

    /** {@code sequences.get(n)[t]} is frame {@code t} of sequence {@code n}; every frame has the same size. */
    static Padded timeFirst(List<float[][]> sequences) {
        int batch = sequences.size(), size = sequences.get(0)[0].length;
        int[] lengths = sequences.stream().mapToInt(s -> s.length).toArray();
        int longest = java.util.Arrays.stream(lengths).max().orElse(1);
        float[] x = new float[longest * batch * size];
        for (int n = 0; n < batch; n++) {
            for (int t = 0; t < lengths[n]; t++) {
                System.arraycopy(sequences.get(n)[t], 0, x, (t * batch + n) * size, size);
            }
        }
        return new Padded(FloatTensor.of(x, longest, batch, size), lengths);
    }

    /** The most likely class of each row of {@code logits [rows * classes]} (the first among equals). */
    static int[] argmax(float[] logits, int classes) {
        int[] out = new int[logits.length / classes];
        for (int n = 0; n < out.length; n++) {
            for (int c = 1; c < classes; c++) {
                out[n] = logits[n * classes + c] > logits[n * classes + out[n]] ? c : out[n];
            }
        }
        return out;
    }
}

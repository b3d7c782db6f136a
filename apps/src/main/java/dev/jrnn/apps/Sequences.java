package dev.jrnn.apps;

import java.util.List;

/** Reading out class scores, shared by the commands that classify (padded batches: {@link dev.jrnn.models.data.Batches}). */
final class Sequences {

    private Sequences() {
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

    /** The batches' scores {@code parts} one after the other. */
    static float[] concatenate(List<float[]> parts) {
        float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}

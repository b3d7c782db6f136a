package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Parameter;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import java.util.List;

/**
 * Many-to-many, encoder-decoder: an encoder reads the source, a decoder starts from its final
 * states and writes the target, looking back at every source step through Luong's global
 * attention with dot scores (Luong, Pham and Manning, 2015):
 * <pre>
 *   a[t, s] = softmax_s(d[t] . e[s])        over the source's valid steps
 *   c[t]    = sum_s a[t, s] e[s]
 *   h~[t]   = tanh(W_c [c[t]; d[t]] + b_c)
 *   logits  = W_o h~[t] + b_o
 * </pre>
 * Training uses teacher forcing: the decoder reads {@code BOS} and the target shifted by one, so
 * the whole target is one backend call. Decoding is greedy, step by step, until {@code EOS}.
 * Encoder and decoder are unidirectional with the same cell, layers and hidden size. Sources and
 * targets may vary in length within a batch.
 */
public final class Seq2Seq implements Module, AutoCloseable {

    private final Embedding sourceEmbedding, targetEmbedding;
    private final Recurrent encoder, decoder;
    private final Linear combine, head;
    private final int hidden, targetVocabulary, bos, eos;

    // what the last forward keeps for backward
    private FloatTensor encoded, decoded, attention, combined;
    private int[] sourceLengths;

    /** Target token ids {@code bos} and {@code eos} mark a target's start (decoder input) and end. */
    public Seq2Seq(CellKind cell, int sourceVocabulary, int targetVocabulary, int embeddingDim, int hiddenSize,
                   int layers, int bos, int eos, long seed) {
        this.hidden = hiddenSize;
        this.targetVocabulary = targetVocabulary;
        this.bos = bos;
        this.eos = eos;
        sourceEmbedding = new Embedding("encoder.embedding.", sourceVocabulary, embeddingDim, seed);
        targetEmbedding = new Embedding("decoder.embedding.", targetVocabulary, embeddingDim, seed + 1);
        encoder = new Recurrent(cell, embeddingDim, hiddenSize, layers, Direction.UNIDIRECTIONAL, seed + 2);
        decoder = new Recurrent(cell, embeddingDim, hiddenSize, layers, Direction.UNIDIRECTIONAL, seed + 3);
        combine = new Linear("attention.combine.", 2 * hiddenSize, hiddenSize, seed + 4);
        head = new Linear("head.", hiddenSize, targetVocabulary, seed + 5);
    }

    public Seq2Seq backend(String name) {
        encoder.backend(name);
        decoder.backend(name);
        return this;
    }

    @Override
    public List<Parameter> parameters() {
        return Module.all(sourceEmbedding, targetEmbedding, encoder, decoder, combine, head);
    }

    /** Encodes {@code source [S][N]}: outputs {@code [S, N, H]} and final states. */
    private Recurrent.Output encode(int[][] source, int[] lengths) {
        sourceLengths = lengths;
        Recurrent.Output out = encoder.forward(sourceEmbedding.forward(source), lengths, null, null);
        encoded = out.y();
        return out;
    }

    /** Attention and the output layer over decoder outputs {@code d [T, N, H]}: logits {@code [T, N, V]}. */
    private FloatTensor attend(FloatTensor d) {
        int steps = d.dim(0), batch = d.dim(1), sources = encoded.dim(0);
        float[] e = encoded.toArray(), dd = d.toArray();
        float[] a = new float[steps * batch * sources];
        float[] cat = new float[steps * batch * 2 * hidden];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                int valid = sourceLengths == null ? sources : sourceLengths[n];
                int dBase = (t * batch + n) * hidden, aBase = (t * batch + n) * sources;
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s < valid; s++) {
                    double score = 0;
                    int eBase = (s * batch + n) * hidden;
                    for (int k = 0; k < hidden; k++) {
                        score += dd[dBase + k] * e[eBase + k];
                    }
                    a[aBase + s] = (float) score;
                    max = Math.max(max, score);
                }
                double sum = 0;
                for (int s = 0; s < valid; s++) {
                    double w = Math.exp(a[aBase + s] - max);
                    a[aBase + s] = (float) w;
                    sum += w;
                }
                int cBase = (t * batch + n) * 2 * hidden;
                for (int s = 0; s < valid; s++) {
                    a[aBase + s] /= (float) sum;
                    int eBase = (s * batch + n) * hidden;
                    for (int k = 0; k < hidden; k++) {
                        cat[cBase + k] += a[aBase + s] * e[eBase + k];
                    }
                }
                System.arraycopy(dd, dBase, cat, cBase + hidden, hidden);
            }
        }
        decoded = d;
        attention = FloatTensor.of(a, steps, batch, sources);
        FloatTensor pre = combine.forward(FloatTensor.of(cat, steps, batch, 2 * hidden));
        float[] h = pre.toArray();
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) Math.tanh(h[i]);
        }
        combined = FloatTensor.of(h, steps, batch, hidden);
        return head.forward(combined);
    }

    /** Backward through {@link #attend}: returns the gradients w.r.t. the decoder outputs and (added into {@code dEncoded}) the encoder outputs. */
    private FloatTensor attendBackward(FloatTensor dLogits, float[] dEncoded) {
        float[] dh = head.backward(dLogits).toArray(), h = combined.toArray();
        for (int i = 0; i < dh.length; i++) {
            dh[i] *= 1 - h[i] * h[i];
        }
        int steps = decoded.dim(0), batch = decoded.dim(1), sources = encoded.dim(0);
        float[] dCat = combine.backward(FloatTensor.of(dh, steps, batch, hidden)).toArray();
        float[] e = encoded.toArray(), d = decoded.toArray(), a = attention.toArray();
        float[] dd = new float[d.length];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                int valid = sourceLengths == null ? sources : sourceLengths[n];
                int dBase = (t * batch + n) * hidden, aBase = (t * batch + n) * sources, cBase = (t * batch + n) * 2 * hidden;
                System.arraycopy(dCat, cBase + hidden, dd, dBase, hidden); // d[t] feeds the combination directly
                double[] da = new double[valid];
                double weighted = 0;
                for (int s = 0; s < valid; s++) {
                    int eBase = (s * batch + n) * hidden;
                    for (int k = 0; k < hidden; k++) {
                        da[s] += dCat[cBase + k] * e[eBase + k];
                        dEncoded[eBase + k] += a[aBase + s] * dCat[cBase + k]; // through the context
                    }
                    weighted += a[aBase + s] * da[s];
                }
                for (int s = 0; s < valid; s++) {
                    float ds = (float) (a[aBase + s] * (da[s] - weighted)); // softmax backward
                    int eBase = (s * batch + n) * hidden;
                    for (int k = 0; k < hidden; k++) {
                        dd[dBase + k] += ds * e[eBase + k]; // through the scores
                        dEncoded[eBase + k] += ds * d[dBase + k];
                    }
                }
            }
        }
        return FloatTensor.of(dd, steps, batch, hidden);
    }

    /** The mean loss per target token under teacher forcing, without training (for validation). */
    public double loss(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths) {
        return forwardLoss(source, sourceLengths, target, targetLengths).loss().value();
    }

    private record Forward(Recurrent.Output encoder, Losses.Loss loss) {
    }

    private Forward forwardLoss(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths) {
        int steps = target.length, batch = target[0].length;
        Recurrent.Output enc = encode(source, sourceLengths);
        int[][] input = new int[steps][batch];
        int[] flat = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                input[t][n] = t == 0 ? bos : target[t - 1][n];
                boolean counted = targetLengths == null || t < targetLengths[n];
                flat[t * batch + n] = counted ? target[t][n] : -1;
            }
        }
        Recurrent.Output dec = decoder.forward(targetEmbedding.forward(input), targetLengths, enc.hn(), enc.cn());
        FloatTensor logits = attend(dec.y());
        return new Forward(enc, Losses.softmaxCrossEntropy(logits.reshape(steps * batch, targetVocabulary), flat, -1));
    }

    /**
     * One teacher-forced training step on {@code source [S][N]} and {@code target [T][N]} (each
     * target ends with {@code EOS} within its length); returns the mean loss per target token.
     */
    public double trainStep(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths,
                            Optimizer optimizer, double maxNorm) {
        optimizer.zeroGrad();
        int steps = target.length, batch = target[0].length;
        Forward forward = forwardLoss(source, sourceLengths, target, targetLengths);
        Recurrent.Output enc = forward.encoder();
        Losses.Loss loss = forward.loss();
        float[] dEncoded = new float[(int) encoded.size()];
        FloatTensor dDecoded = attendBackward(loss.gradient().reshape(steps, batch, targetVocabulary), dEncoded);
        FloatTensor dh0 = FloatTensor.zeros(enc.hn().shape()), dc0 = enc.cn() == null ? null : FloatTensor.zeros(enc.cn().shape());
        targetEmbedding.backward(decoder.backward(dDecoded, null, null, dh0, dc0));
        sourceEmbedding.backward(encoder.backward(FloatTensor.of(dEncoded, encoded.shape().dims()), dh0, dc0, null, null));
        Optimizer.clipGradNorm(parameters(), maxNorm);
        optimizer.step();
        return loss.value();
    }

    /** Greedy decoding of one source sequence: at most {@code maxLength} tokens, without the final {@code EOS}. */
    public int[] translate(int[] source, int maxLength) {
        int[][] column = new int[source.length][1];
        for (int s = 0; s < source.length; s++) {
            column[s][0] = source[s];
        }
        Recurrent.Output enc = encode(column, null);
        FloatTensor h = enc.hn(), c = enc.cn();
        int[] out = new int[maxLength];
        int token = bos, length = 0;
        while (length < maxLength) {
            Recurrent.Output step = decoder.forward(targetEmbedding.forward(new int[][] {{token}}), h, c);
            h = step.hn();
            c = step.cn();
            float[] logits = attend(step.y()).toArray();
            token = Sampling.GREEDY.pick(logits, null);
            if (token == eos) {
                break;
            }
            out[length++] = token;
        }
        return java.util.Arrays.copyOf(out, length);
    }

    @Override
    public void close() {
        encoder.close();
        decoder.close();
    }
}

package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Dropout;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.nn.Scratch;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
 * the whole target is one backend call. Decoding is greedy or by beam search, step by step, until
 * {@code EOS}.
 * Encoder and decoder are unidirectional with the same cell, layers and hidden size. Sources and
 * targets may vary in length within a batch.
 *
 * <p>Parameter names: {@code encoder.embedding.weight} (token sources only), {@code encoder.rnn.*},
 * {@code decoder.embedding.weight}, {@code decoder.rnn.*}, {@code decoder.combine.{weight,bias}}
 * ({@code W_c}, {@code b_c}) and {@code decoder.out.{weight,bias}} ({@code W_o}, {@code b_o}).
 *
 * <p><b>Threads.</b> One thread trains ({@link #trainStep}). {@link #loss}, {@link #translate} and
 * {@link #logProbability} are inference and keep nothing in the model: any number of threads may
 * call them at once on one shared model, while nothing trains it.
 */
public final class Seq2Seq extends Module implements AutoCloseable {

    /** A named group of layers (the encoder, the decoder), so that their parameters' names say whose they are. */
    private static final class Part extends Module {
        <M extends Module> M add(String name, M child) {
            return register(name, child);
        }

        <M extends Module> M put(String name, M child) {
            return replace(name, child);
        }
    }

    private final Embedding sourceEmbedding, targetEmbedding;
    private final Recurrent encoder, decoder;
    private final Linear combine, head;
    private final Part encoderPart, decoderPart;
    private Dropout sourceDropout, targetDropout, outputDropout;
    private final int hidden, targetVocabulary, bos, eos;
    private int[] neverEmitted = {};


    /** Target token ids {@code bos} and {@code eos} mark a target's start (decoder input) and end. */
    public Seq2Seq(CellKind cell, int sourceVocabulary, int targetVocabulary, int embeddingDim, int hiddenSize,
                   int layers, int bos, int eos, long seed) {
        this(new Embedding(sourceVocabulary, embeddingDim, seed), embeddingDim, cell,
                targetVocabulary, embeddingDim, hiddenSize, layers, bos, eos, seed);
    }

    /**
     * An encoder-decoder whose source is a sequence of feature vectors {@code [S, N, sourceFeatures]}
     * (video frames, audio frames) rather than tokens: the encoder reads them directly.
     */
    public static Seq2Seq overFeatures(CellKind cell, int sourceFeatures, int targetVocabulary, int embeddingDim,
                                       int hiddenSize, int layers, int bos, int eos, long seed) {
        return new Seq2Seq(null, sourceFeatures, cell, targetVocabulary, embeddingDim, hiddenSize, layers, bos, eos, seed);
    }

    private Seq2Seq(Embedding sourceEmbedding, int encoderInput, CellKind cell, int targetVocabulary, int embeddingDim,
                    int hiddenSize, int layers, int bos, int eos, long seed) {
        this.hidden = hiddenSize;
        this.targetVocabulary = targetVocabulary;
        this.bos = bos;
        this.eos = eos;
        encoderPart = register("encoder", new Part());
        decoderPart = register("decoder", new Part());
        this.sourceEmbedding = encoderPart.add("embedding", sourceEmbedding);
        encoder = encoderPart.add("rnn", new Recurrent(cell, encoderInput, hiddenSize, layers, Direction.UNIDIRECTIONAL, seed + 2));
        targetEmbedding = decoderPart.add("embedding", new Embedding(targetVocabulary, embeddingDim, seed + 1));
        decoder = decoderPart.add("rnn", new Recurrent(cell, embeddingDim, hiddenSize, layers, Direction.UNIDIRECTIONAL, seed + 3));
        combine = decoderPart.add("combine", new Linear(2 * hiddenSize, hiddenSize, seed + 4));
        head = decoderPart.add("out", new Linear(hiddenSize, targetVocabulary, seed + 5));
        dropout(0, seed);
    }

    /**
     * Dropout with probability {@code p} while training (inference uses all of it) on what the
     * encoder reads (the source's word vectors or features), on the decoder's word vectors and on
     * {@code h~} before the output layer: a regularizer for small corpora. Three generators seeded
     * from {@code seed} ({@code encoder.dropout}, {@code decoder.dropout},
     * {@code decoder.out_dropout}), saved with checkpoints when {@code p > 0}. Default 0 (none).
     */
    public Seq2Seq dropout(double p, long seed) {
        sourceDropout = dropout(encoderPart, "dropout", p, seed + 11);
        targetDropout = dropout(decoderPart, "dropout", p, seed + 12);
        outputDropout = dropout(decoderPart, "out_dropout", p, seed + 13);
        return this;
    }

    /**
     * A dropout registered in {@code part} when {@code p > 0} (its generator is then saved with
     * checkpoints); without dropout an unregistered identity, so the model's checkpoints look as
     * they did before dropout existed.
     */
    private Dropout dropout(Part part, String name, double p, long seed) {
        Dropout d = new Dropout(p, seed);
        part.put(name, p > 0 ? d : null);
        d.train(isTraining());
        return d;
    }

    /**
     * Stores the recurrent weights in {@code precision} for inference (e.g. bf16 after training,
     * in {@code eval()} mode); training then needs {@code precision(Precision.FLOAT32)} again.
     * See {@link dev.jrnn.models.nn.Recurrent#precision(dev.jrnn.core.rnn.Precision)}.
     */
    public Seq2Seq precision(dev.jrnn.core.rnn.Precision precision) {
        return precision(precision, null);
    }

    /**
     * {@link #precision(dev.jrnn.core.rnn.Precision)}, with the range of the features this model reads
     * ({@code Calibration.of(sample inputs)}), for a backend that stores its inputs in 8 bits too
     * (onednn's int8); {@code inputs} null: a model reading tokens takes its embedding table's range.
     */
    public Seq2Seq precision(dev.jrnn.core.rnn.Precision precision, dev.jrnn.core.rnn.Calibration inputs) {
        encoder.precision(precision, inputs != null || sourceEmbedding == null ? inputs : sourceEmbedding.range());
        decoder.precision(precision, targetEmbedding.range().including(-1).including(1)); // and the attention's context, in [-1, 1]
        return this;
    }

    public Seq2Seq backend(String name) {
        encoder.backend(name);
        decoder.backend(name);
        return this;
    }

    /**
     * Target tokens the decoders never write (e.g. an unknown-word token, which no reference can
     * match); training still learns them, so the model reads and predicts them as before.
     */
    public Seq2Seq neverEmit(int... tokens) {
        for (int t : tokens) {
            if (t < 0 || t >= targetVocabulary || t == eos) {
                throw new IllegalArgumentException("cannot forbid token " + t + " (EOS is " + eos + ", targets are [0, "
                        + targetVocabulary + "))");
            }
        }
        neverEmitted = tokens.clone();
        return this;
    }

    /** Token sources {@code [S][N]} as the encoder's input {@code [S, N, E]}; for training, or not. */
    private FloatTensor embed(int[][] source, boolean training) {
        if (sourceEmbedding == null) {
            throw new IllegalStateException("this encoder reads feature vectors, not tokens");
        }
        return training ? sourceEmbedding.forward(source) : sourceEmbedding.infer(source);
    }

    /**
     * Attention's working arrays: the model's own, reused, for training (a training step allocates
     * nothing here), and new ones for each inference call (inference keeps nothing in the model).
     */
    private static final class AttentionBuffers {
        final Scratch encoded = new Scratch(), decoded = new Scratch(), weights = new Scratch(), cat = new Scratch(),
                combinedIn = new Scratch(), combined = new Scratch(), dh = new Scratch(), dhIn = new Scratch(),
                dCat = new Scratch(), dDecoded = new Scratch(), dWeights = new Scratch(), dEncoded = new Scratch();
        /** What the last training forward read and computed, for backward: {@code [S,N,H]}, {@code [T,N,H]}, {@code [T,N,S]}, {@code [T,N,H]}. */
        float[] e, d, a, h;
        int[] sourceLengths;
        int steps, batch, sources;
    }

    private final AttentionBuffers trainingBuffers = new AttentionBuffers();

    /** {@code t}'s elements from index 0: a heap tensor's own array where they start there, else a copy in {@code s}. */
    private static float[] elements(FloatTensor t, Scratch s) {
        float[] a = s.array(t);
        if (a != null && Scratch.offset(t) == 0) {
            return a;
        }
        float[] copy = s.floats(Math.toIntExact(t.size()));
        t.copyTo(copy, 0);
        return copy;
    }

    /**
     * Attention over {@code encoded [S, N, H]} (sequence {@code n}'s first {@code sourceLengths[n]}
     * steps) and the output layer, for decoder outputs {@code d [T, N, H]}; the layers and the
     * model's buffers keep what backward needs only if {@code training}. Returns the logits {@code [T, N, V]}.
     */
    private FloatTensor attend(FloatTensor encoded, int[] sourceLengths, FloatTensor d, boolean training) {
        return attend(encoded, sourceLengths, d, training, training ? trainingBuffers : new AttentionBuffers());
    }

    /** {@link #attend(FloatTensor, int[], FloatTensor, boolean)} in {@code buf}, which keeps the weights ({@code buf.a}) either way. */
    private FloatTensor attend(FloatTensor encoded, int[] sourceLengths, FloatTensor d, boolean training, AttentionBuffers buf) {
        int steps = d.dim(0), batch = d.dim(1), sources = encoded.dim(0);
        float[] e = elements(encoded, buf.encoded), dd = elements(d, buf.decoded);
        float[] a = buf.weights.floats(steps * batch * sources);
        Arrays.fill(a, 0, steps * batch * sources, 0f); // past a source's length: no weight
        FloatTensor concatenated = buf.cat.view(steps, batch, 2 * hidden);
        float[] cat = buf.cat.data();
        DenseKernels k = kernels();
        int ldE = batch * hidden, ldA = batch * sources, ldC = batch * 2 * hidden;
        for (int n = 0; n < batch; n++) { // per sequence: [T x H] queries against its [valid x H] source steps
            int valid = sourceLengths == null ? sources : sourceLengths[n];
            int dn = n * hidden, an = n * sources, cn = n * 2 * hidden;
            k.gemm(false, true, steps, valid, hidden, 1f, dd, dn, ldE, e, dn, ldE, 0f, a, an, ldA, null, 0);
            k.softmaxRows(steps, valid, a, an, ldA);
            k.gemm(false, false, steps, hidden, valid, 1f, a, an, ldA, e, dn, ldE, 0f, cat, cn, ldC, null, 0);
            for (int t = 0; t < steps; t++) {
                System.arraycopy(dd, t * ldE + dn, cat, t * ldC + cn + hidden, hidden);
            }
        }
        float[] pre = elements(training ? combine.forward(concatenated) : combine.infer(concatenated), buf.combinedIn);
        FloatTensor combined = buf.combined.view(steps, batch, hidden);
        float[] h = buf.combined.data();
        for (int i = 0, n = steps * batch * hidden; i < n; i++) {
            h[i] = (float) Math.tanh(pre[i]);
        }
        buf.a = a;
        if (training) {
            buf.e = e;
            buf.d = dd;
            buf.h = h;
            buf.sourceLengths = sourceLengths;
            buf.steps = steps;
            buf.batch = batch;
            buf.sources = sources;
        }
        return training ? head.forward(outputDropout.forward(combined)) : head.infer(combined);
    }

    /**
     * Backward through the last training {@link #attend}: returns the gradient w.r.t. the decoder
     * outputs; the encoder outputs' is left in {@code trainingBuffers.dEncoded} ({@code [S, N, H]}).
     */
    private FloatTensor attendBackward(FloatTensor dLogits) {
        AttentionBuffers buf = trainingBuffers;
        int steps = buf.steps, batch = buf.batch, sources = buf.sources;
        float[] dhIn = elements(outputDropout.backward(head.backward(dLogits)), buf.dhIn), h = buf.h;
        FloatTensor dhT = buf.dh.view(steps, batch, hidden);
        float[] dh = buf.dh.data();
        for (int i = 0, n = steps * batch * hidden; i < n; i++) {
            dh[i] = dhIn[i] * (1 - h[i] * h[i]);
        }
        float[] dCat = elements(combine.backward(dhT), buf.dCat);
        float[] e = buf.e, d = buf.d, a = buf.a;
        FloatTensor dDecoded = buf.dDecoded.view(steps, batch, hidden);
        float[] dd = buf.dDecoded.data(), da = buf.dWeights.floats(steps * batch * sources);
        buf.dEncoded.view(sources, batch, hidden);
        float[] dEncoded = buf.dEncoded.data();
        Arrays.fill(dEncoded, 0, sources * batch * hidden, 0f); // accumulated into
        DenseKernels k = kernels();
        int ldE = batch * hidden, ldA = batch * sources, ldC = batch * 2 * hidden;
        for (int n = 0; n < batch; n++) {
            int valid = buf.sourceLengths == null ? sources : buf.sourceLengths[n];
            int dn = n * hidden, an = n * sources, cn = n * 2 * hidden;
            for (int t = 0; t < steps; t++) { // d[t] feeds the combination directly
                System.arraycopy(dCat, t * ldC + cn + hidden, dd, t * ldE + dn, hidden);
            }
            // through the context c = A E: dA = dC E^T, dE += A^T dC
            k.gemm(false, true, steps, valid, hidden, 1f, dCat, cn, ldC, e, dn, ldE, 0f, da, an, ldA, null, 0);
            k.gemm(true, false, valid, hidden, steps, 1f, a, an, ldA, dCat, cn, ldC, 1f, dEncoded, dn, ldE, null, 0);
            k.softmaxBackwardRows(steps, valid, a, an, ldA, da, an, ldA); // da becomes the scores' gradient
            // through the scores S = D E^T: dD += dS E, dE += dS^T D
            k.gemm(false, false, steps, hidden, valid, 1f, da, an, ldA, e, dn, ldE, 1f, dd, dn, ldE, null, 0);
            k.gemm(true, false, valid, hidden, steps, 1f, da, an, ldA, d, dn, ldE, 1f, dEncoded, dn, ldE, null, 0);
        }
        return dDecoded;
    }

    /** The mean loss per target token under teacher forcing, without training (for validation). */
    public double loss(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths) {
        return loss(embed(source, false), sourceLengths, target, targetLengths);
    }

    /** {@link #loss(int[][], int[], int[][], int[])} of feature sources {@code [S, N, I]}. */
    public double loss(FloatTensor source, int[] sourceLengths, int[][] target, int[] targetLengths) {
        return forwardLoss(source, sourceLengths, target, targetLengths, false).loss().value();
    }

    /**
     * The logits {@code [T, N, V]} under teacher forcing, without training: row {@code t} those of
     * the step that emits {@code target[t]}, having read {@code BOS} and {@code target[0..t-1]}
     * (what {@link #loss} scores). For checking an exported decoder step against the model.
     */
    public FloatTensor logits(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths) {
        return logits(embed(source, false), sourceLengths, target, targetLengths);
    }

    /** {@link #logits(int[][], int[], int[][], int[])} of feature sources {@code [S, N, I]}. */
    public FloatTensor logits(FloatTensor source, int[] sourceLengths, int[][] target, int[] targetLengths) {
        return teacherForced(source, sourceLengths, target, targetLengths, false).logits();
    }

    private record Forward(Recurrent.Output encoder, Losses.Loss loss) {
    }

    private record TeacherForced(Recurrent.Output encoder, FloatTensor logits) {
    }

    /** The teacher-forced loss; if {@code training}, keeps in this model what {@link #trainStep} needs for backward. */
    private Forward forwardLoss(FloatTensor source, int[] sourceLengths, int[][] target, int[] targetLengths,
                                boolean training) {
        int steps = target.length, batch = target[0].length;
        int[] flat = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                boolean counted = targetLengths == null || t < targetLengths[n];
                flat[t * batch + n] = counted ? target[t][n] : -1;
            }
        }
        TeacherForced f = teacherForced(source, sourceLengths, target, targetLengths, training);
        FloatTensor logits = f.logits().reshape(steps * batch, targetVocabulary);
        // training: the gradient overwrites the logits (the head's buffer, which its backward reads as dy)
        return new Forward(f.encoder(), Losses.softmaxCrossEntropy(logits, flat, -1, training ? logits : null));
    }

    /** The encoder's output and the logits {@code [T, N, V]} of the decoder reading {@code BOS} and the target shifted by one. */
    private TeacherForced teacherForced(FloatTensor source, int[] sourceLengths, int[][] target, int[] targetLengths,
                                        boolean training) {
        int steps = target.length, batch = target[0].length;
        Recurrent.Output enc = training ? encoder.forward(sourceDropout.forward(source), sourceLengths, null, null)
                : encoder.infer(source, sourceLengths, null, null);
        int[][] input = new int[steps][batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                input[t][n] = t == 0 ? bos : target[t - 1][n];
            }
        }
        Recurrent.Output dec = training
                ? decoder.forward(targetDropout.forward(targetEmbedding.forward(input)), targetLengths, enc.hn(), enc.cn())
                : decoder.infer(targetEmbedding.infer(input), targetLengths, enc.hn(), enc.cn());
        return new TeacherForced(enc, attend(enc.y(), sourceLengths, dec.y(), training));
    }

    /**
     * One teacher-forced training step on {@code source [S][N]} and {@code target [T][N]} (each
     * target ends with {@code EOS} within its length); returns the mean loss per target token.
     */
    public double trainStep(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths,
                            Optimizer optimizer, double maxNorm) {
        return trainStep(embed(source, true), sourceLengths, target, targetLengths, optimizer, maxNorm, true);
    }

    /** {@link #trainStep(int[][], int[], int[][], int[], Optimizer, double)} on feature sources {@code [S, N, I]}. */
    public double trainStep(FloatTensor source, int[] sourceLengths, int[][] target, int[] targetLengths,
                            Optimizer optimizer, double maxNorm) {
        return trainStep(source, sourceLengths, target, targetLengths, optimizer, maxNorm, false);
    }

    private double trainStep(FloatTensor source, int[] sourceLengths, int[][] target, int[] targetLengths,
                             Optimizer optimizer, double maxNorm, boolean embedded) {
        optimizer.zeroGrad();
        int steps = target.length, batch = target[0].length;
        Forward forward = forwardLoss(source, sourceLengths, target, targetLengths, true);
        Recurrent.Output enc = forward.encoder();
        Losses.Loss loss = forward.loss();
        FloatTensor dDecoded = attendBackward(loss.gradient().reshape(steps, batch, targetVocabulary));
        FloatTensor dEncoded = trainingBuffers.dEncoded.view(enc.y().dim(0), batch, hidden);
        FloatTensor dh0 = FloatTensor.zeros(enc.hn().shape()), dc0 = enc.cn() == null ? null : FloatTensor.zeros(enc.cn().shape());
        targetEmbedding.backward(targetDropout.backward(decoder.backward(dDecoded, null, null, dh0, dc0)));
        FloatTensor dSource = sourceDropout.backward(
                encoder.backward(dEncoded, dh0, dc0, null, null));
        if (embedded) {
            sourceEmbedding.backward(dSource);
        }
        Optimizer.clipGradNorm(parameters(), maxNorm);
        optimizer.step();
        return loss.value();
    }

    /** Greedy decoding of one source sequence: at most {@code maxLength} tokens, without the final {@code EOS}. */
    public int[] translate(int[] source, int maxLength) {
        return translate(source, maxLength, 1);
    }

    /** A partial target during beam search: its tokens and their total log-probability. */
    private record Hypothesis(int[] tokens, double score) {
    }

    /** One extension of live hypothesis {@code parent} by {@code token}. */
    private record Candidate(int parent, int token, double score) {
    }

    /** Beam search ranked by plain total log-probability: {@link #translate(int[], int, int, boolean)} without length normalisation. */
    public int[] translate(int[] source, int maxLength, int beamWidth) {
        return translate(source, maxLength, beamWidth, false);
    }

    /**
     * Beam search over targets of one source sequence: at most {@code maxLength} tokens, without
     * the final {@code EOS}. Each step extends every live hypothesis by every token and keeps the
     * {@code beamWidth} best extensions by total log-probability; one that ends in {@code EOS} is
     * finished and leaves the beam. {@code beamWidth} 1 is greedy decoding.
     * <ul>
     * <li>Not {@code lengthNormalised}: finished hypotheses are ranked by total log-probability.
     * A score can only fall as a hypothesis grows, so the search stops as soon as the best
     * finished hypothesis scores at least the best live one: it returns the likeliest target the
     * beam saw. Short targets are favoured (every token costs log-probability).</li>
     * <li>{@code lengthNormalised}: finished hypotheses are ranked by log-probability per token
     * (counting {@code EOS}), which counters the bias to short targets; the search goes on until
     * {@code beamWidth} hypotheses have finished.</li>
     * </ul>
     * If no hypothesis finishes within {@code maxLength}, the best live one is returned. Beam
     * search usually finds a likelier target than greedy decoding, but it is not guaranteed to
     * (the greedy prefix can drop out of the beam).
     */
    public int[] translate(int[] source, int maxLength, int beamWidth, boolean lengthNormalised) {
        if (source.length == 0) {
            throw new IllegalArgumentException("the source is empty");
        }
        return translate(embed(column(source), false), maxLength, beamWidth, lengthNormalised);
    }

    /** {@link #translate(int[], int, int, boolean)} of one feature source {@code [S, 1, I]}. */
    public int[] translate(FloatTensor source, int maxLength, int beamWidth, boolean lengthNormalised) {
        if (beamWidth < 1) {
            throw new IllegalArgumentException("the beam width must be at least 1, got " + beamWidth);
        }
        if (source.rank() != 3 || source.dim(1) != 1 || source.dim(0) == 0) {
            throw new IllegalArgumentException("a source to translate must be [S >= 1, 1, features], got " + source.shape());
        }
        Recurrent.Output enc = encoder.infer(source, null, null, null);
        FloatTensor memory = enc.y(); // [S, 1, H]: every hypothesis attends to the same source
        FloatTensor h = enc.hn(), c = enc.cn();
        List<Hypothesis> live = List.of(new Hypothesis(new int[0], 0));
        Hypothesis best = null; // the best finished one
        double bestRank = Double.NEGATIVE_INFINITY;
        int finished = 0;
        for (int step = 0; step < maxLength && !live.isEmpty(); step++) {
            int beams = live.size();
            int[][] input = new int[1][beams];
            for (int b = 0; b < beams; b++) {
                input[0][b] = step == 0 ? bos : live.get(b).tokens()[step - 1];
            }
            Recurrent.Output out = decoder.infer(targetEmbedding.infer(input), null, h, c);
            FloatTensor memories = Recurrent.batchRows(memory, new int[beams]);
            float[] logits = attend(memories, null, out.y(), false).toArray();
            List<Candidate> candidates = new ArrayList<>();
            for (int b = 0; b < beams; b++) {
                double[] logp = Losses.logSoftmax(Arrays.copyOfRange(logits, b * targetVocabulary, (b + 1) * targetVocabulary));
                for (int banned : neverEmitted) {
                    logp[banned] = Double.NEGATIVE_INFINITY;
                }
                // only a hypothesis's own best beamWidth extensions can make the global best beamWidth
                for (int v : best(logp, beamWidth)) {
                    candidates.add(new Candidate(b, v, live.get(b).score() + logp[v]));
                }
            }
            candidates.sort(Comparator.comparingDouble(Candidate::score).reversed());
            List<Hypothesis> next = new ArrayList<>();
            List<Integer> parents = new ArrayList<>();
            for (Candidate x : candidates.subList(0, Math.min(beamWidth, candidates.size()))) {
                int[] prefix = live.get(x.parent()).tokens();
                if (x.token() == eos) {
                    finished++;
                    double rank = lengthNormalised ? x.score() / (prefix.length + 1) : x.score();
                    if (rank > bestRank) {
                        best = new Hypothesis(prefix, x.score());
                        bestRank = rank;
                    }
                } else {
                    int[] tokens = Arrays.copyOf(prefix, step + 1);
                    tokens[step] = x.token();
                    next.add(new Hypothesis(tokens, x.score()));
                    parents.add(x.parent());
                }
            }
            live = next;
            if (live.isEmpty() || (lengthNormalised ? finished >= beamWidth
                    : best != null && best.score() >= live.get(0).score())) {
                live = List.of();
                break; // unnormalised log-probabilities only fall: no live hypothesis can overtake the finished one
            }
            int[] rows = parents.stream().mapToInt(Integer::intValue).toArray();
            h = Recurrent.batchRows(out.hn(), rows);
            c = out.cn() == null ? null : Recurrent.batchRows(out.cn(), rows);
        }
        for (Hypothesis unfinished : live) { // maxLength reached: unfinished hypotheses compete too
            double rank = lengthNormalised ? unfinished.score() / Math.max(1, unfinished.tokens().length) : unfinished.score();
            if (rank > bestRank) {
                best = unfinished;
                bestRank = rank;
            }
        }
        return best.tokens();
    }

    /** The indices of the {@code k} largest values, largest first (the lower index first among equals). */
    private static int[] best(double[] values, int k) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a])); // stable: ties keep index order
        int[] out = new int[Math.min(k, order.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /**
     * The log-probability the model gives {@code target} followed by {@code EOS} as the translation
     * of {@code source}, computed by one teacher-forced pass (independently of the decoders).
     */
    public double logProbability(int[] source, int[] target) {
        int[] withEos = Arrays.copyOf(target, target.length + 1);
        withEos[target.length] = eos;
        return -loss(embed(column(source), false), null, column(withEos), null) * withEos.length;
    }

    /**
     * Where the decoder looks while it emits {@code target} and then {@code EOS} after
     * {@code source} (teacher forced, without training): the attention weights
     * {@code [target.length + 1][source.length]}, row {@code t} those of the step that emits
     * {@code target[t]} (the last row: {@code EOS}), each row summing to 1. For attention maps.
     */
    public float[][] attention(int[] source, int[] target) {
        if (source.length == 0) {
            throw new IllegalArgumentException("the source is empty");
        }
        return attention(embed(column(source), false), target);
    }

    /** {@link #attention(int[], int[])} of one feature source {@code [S, 1, I]}. */
    public float[][] attention(FloatTensor source, int[] target) {
        if (source.rank() != 3 || source.dim(1) != 1 || source.dim(0) == 0) {
            throw new IllegalArgumentException("a source must be [S >= 1, 1, features], got " + source.shape());
        }
        int sources = source.dim(0), steps = target.length + 1;
        Recurrent.Output enc = encoder.infer(source, null, null, null);
        int[][] input = new int[steps][1];
        for (int t = 0; t < steps; t++) {
            input[t][0] = t == 0 ? bos : target[t - 1];
        }
        Recurrent.Output dec = decoder.infer(targetEmbedding.infer(input), null, enc.hn(), enc.cn());
        AttentionBuffers buf = new AttentionBuffers();
        attend(enc.y(), null, dec.y(), false, buf);
        float[][] weights = new float[steps][];
        for (int t = 0; t < steps; t++) {
            weights[t] = Arrays.copyOfRange(buf.a, t * sources, (t + 1) * sources); // batch 1: [T, 1, S]
        }
        return weights;
    }

    private static int[][] column(int[] tokens) {
        int[][] out = new int[tokens.length][1];
        for (int t = 0; t < tokens.length; t++) {
            out[t][0] = tokens[t];
        }
        return out;
    }

    Recurrent encoder() {
        return encoder;
    }

    int sourceVocabularyOrZero() {
        return sourceEmbedding == null ? 0 : sourceEmbedding.vocabulary();
    }

    int embeddingDim() {
        return targetEmbedding.dim();
    }

    int targetVocabulary() {
        return targetVocabulary;
    }

    /** The target token the decoder reads first. */
    public int bos() {
        return bos;
    }

    /** The target token that ends a translation. */
    public int eos() {
        return eos;
    }

    /** The target tokens the decoders never write ({@link #neverEmit}). */
    public int[] neverEmitted() {
        return neverEmitted.clone();
    }

    @Override
    public void close() {
        encoder.close();
        decoder.close();
    }
}

package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Dropout;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.stream.StreamState;
import dev.jrnn.models.stream.StreamingRnn;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One-to-many: a token-level language model (embedding, recurrent stack, dropout, a linear head
 * over the vocabulary) that generates from a prompt, by sampling ({@link Sampling}: temperature,
 * top-k), greedily, or by beam search. Trained on long streams by truncated backpropagation
 * through time: {@link #trainStep} starts from the state the previous chunk ended in and cuts the
 * gradient there.
 *
 * <p><b>Threads.</b> One thread trains ({@link #trainStep}). Everything else is inference and keeps
 * nothing in the model: {@link #evaluate}, {@link #forward}, {@link #logProbability},
 * {@link #beamSearch} and {@link #generate} may run on any number of threads at once on one shared
 * model, while nothing trains it. A {@link Generator} belongs to the thread that uses it.
 */
public final class LanguageModel extends Module implements AutoCloseable {

    /** The recurrent state between chunks or generation steps: {@code [L, N, H]}; {@code c} is null but for LSTMs. */
    public record State(FloatTensor h, FloatTensor c) {
    }

    /** The mean loss per token of a training step, and the state to continue from. */
    public record Step(double loss, State state) {
    }

    private final Embedding embedding;
    private final Recurrent rnn;
    private final Dropout dropout;
    private final Linear head;
    private final int vocabulary;

    public LanguageModel(CellKind cell, int vocabulary, int embeddingDim, int hiddenSize, int layers, double dropout,
                         long seed) {
        this.vocabulary = vocabulary;
        embedding = register("embedding", new Embedding(vocabulary, embeddingDim, seed));
        rnn = register("rnn", new Recurrent(cell, embeddingDim, hiddenSize, layers, Direction.UNIDIRECTIONAL, seed + 1));
        this.dropout = register("dropout", new Dropout(dropout, seed + 2));
        head = register("head", new Linear(hiddenSize, vocabulary, seed + 3));
    }

    /**
     * Stores the recurrent weights in {@code precision} for inference (e.g. bf16 after training,
     * in {@code eval()} mode); training then needs {@code precision(Precision.FLOAT32)} again.
     * See {@link dev.jrnn.models.nn.Recurrent#precision(dev.jrnn.core.rnn.Precision)}.
     */
    public LanguageModel precision(dev.jrnn.core.rnn.Precision precision) {
        return precision(precision, null);
    }

    /**
     * {@link #precision(dev.jrnn.core.rnn.Precision)}, with the range of the features this model reads
     * ({@code Calibration.of(sample inputs)}), for a backend that stores its inputs in 8 bits too
     * (onednn's int8); {@code inputs} null: a model reading tokens takes its embedding table's range.
     */
    public LanguageModel precision(dev.jrnn.core.rnn.Precision precision, dev.jrnn.core.rnn.Calibration inputs) {
        rnn.precision(precision, inputs != null ? inputs : embedding.range());
        return this;
    }

    public LanguageModel backend(String name) {
        rnn.backend(name);
        return this;
    }

    public int vocabulary() {
        return vocabulary;
    }

    /** The training step's scores (the head's buffer), keeping what backward needs; dropout as this model's mode says. */
    private FloatTensor trainingLogits(int[][] tokens, State from, State[] end) {
        Recurrent.Output out = rnn.forward(embedding.forward(tokens), from == null ? null : from.h(),
                from == null ? null : from.c());
        end[0] = new State(out.hn(), out.cn());
        return head.forward(dropout.forward(out.y()));
    }

    /** Inference scores in a new tensor: no dropout, nothing kept, safe from many threads at once. */
    private FloatTensor logits(int[][] tokens, State from, State[] end) {
        Recurrent.Output out = rnn.infer(embedding.infer(tokens), null, from == null ? null : from.h(),
                from == null ? null : from.c());
        end[0] = new State(out.hn(), out.cn());
        return head.infer(out.y());
    }

    /**
     * One chunk of truncated BPTT on {@code inputs [T][N]} predicting {@code targets [T][N]},
     * starting from {@code carry} (null: zeros). The returned state is detached: gradients stop at
     * the chunk's start. Dropout is active if the model is in training mode (the default).
     */
    public Step trainStep(int[][] inputs, int[][] targets, State carry, Optimizer optimizer, double maxNorm) {
        optimizer.zeroGrad();
        State[] end = new State[1];
        Losses.Loss loss = crossEntropy(trainingLogits(inputs, carry, end), targets, true);
        int steps = inputs.length, batch = inputs[0].length;
        FloatTensor dy = dropout.backward(head.backward(loss.gradient().reshape(steps, batch, vocabulary)));
        embedding.backward(rnn.backward(dy, null, null, null, null));
        Optimizer.clipGradNorm(parameters(), maxNorm);
        optimizer.step();
        return new Step(loss.value(), end[0]);
    }

    /**
     * Mean loss per token of predicting {@code targets} from {@code inputs}, without training,
     * starting from {@code from} (null: zeros); returns the state to continue from, so long
     * held-out texts are scored chunk by chunk as one stream.
     */
    public Step evaluate(int[][] inputs, int[][] targets, State from) {
        State[] end = new State[1];
        return new Step(crossEntropy(logits(inputs, from, end), targets, false).value(), end[0]);
    }

    /** Scores {@code [T, N, V]} of the token after each input, and the state after the last. */
    public record Output(FloatTensor logits, State state) {
    }

    /**
     * Scores of the next token after each of {@code tokens [T][N]} and the state after the last,
     * starting from {@code from} (null: zeros); without dropout, whatever the mode.
     */
    public Output forward(int[][] tokens, State from) {
        State[] end = new State[1];
        return new Output(logits(tokens, from, end), end[0]);
    }

    /**
     * Cross-entropy of scores {@code [T, N, V]} against {@code targets [T][N]}; the gradient, when
     * asked for, replaces the scores (they are the head's buffer, not needed after the loss).
     */
    private Losses.Loss crossEntropy(FloatTensor z, int[][] targets, boolean withGradient) {
        int steps = targets.length, batch = targets[0].length;
        int[] flat = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            System.arraycopy(targets[t], 0, flat, t * batch, batch);
        }
        FloatTensor logits = z.reshape(steps * batch, vocabulary);
        return Losses.softmaxCrossEntropy(logits, flat, -1, withGradient ? logits : null);
    }

    /** Mean loss per token of predicting {@code targets} from {@code inputs}, without training. */
    public double loss(int[][] inputs, int[][] targets) {
        return evaluate(inputs, targets, null).loss();
    }

    /**
     * Continues {@code prompt} (at least one token) by {@code length} tokens picked by
     * {@code sampling}, one step at a time through the streaming API ({@link Generator}).
     */
    public int[] generate(int[] prompt, int length, Sampling sampling, long seed) {
        try (Generator g = generator()) {
            return g.generate(prompt, length, sampling, seed);
        }
    }

    /**
     * A step-by-step view of this model for generation: the recurrent part runs on a
     * {@link StreamingRnn} (prepared once, zero allocation per step), the embedding and the output
     * layer on preallocated rows. It sees the weights as they are now.
     */
    public Generator generator() {
        return new Generator();
    }

    /** Feeds one token at a time and returns the scores of the next; owned by one thread. */
    public final class Generator implements AutoCloseable {
        private final StreamingRnn rnnSteps;
        private final StreamState state;
        private final float[] embedded, hidden, logits;

        private Generator() {
            RnnDescriptor a = rnn.architecture();
            rnnSteps = StreamingRnn.prepare(a, rnn.weights(), rnn.requestedBackend(), rnn.precision()); // auto: timed on single steps
            state = rnnSteps.newState();
            embedded = new float[a.inputSize()];
            hidden = new float[a.hiddenSize()];
            logits = new float[vocabulary];
        }

        /** Reads {@code token}; returns the scores of the next token (a live array, overwritten by the next call). */
        public float[] next(int token) {
            if (token < 0 || token >= vocabulary) {
                throw new IllegalArgumentException("token " + token + " is not in [0, " + vocabulary + ")");
            }
            System.arraycopy(embedding.weight().values(), token * embedded.length, embedded, 0, embedded.length);
            rnnSteps.step(embedded, state, hidden);
            head.forwardRow(hidden, logits);
            return logits;
        }

        /**
         * Reads {@code prompt} (at least one token) and continues it by {@code length} tokens
         * picked by {@code sampling} from a generator seeded with {@code seed}.
         */
        public int[] generate(int[] prompt, int length, Sampling sampling, long seed) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("the prompt is empty: generation needs at least one token to start from");
            }
            SplittableRandom random = new SplittableRandom(seed);
            float[] scores = null;
            for (int token : prompt) {
                scores = next(token);
            }
            int[] out = new int[length];
            for (int i = 0; i < length; i++) {
                out[i] = sampling.pick(scores, random);
                scores = next(out[i]);
            }
            return out;
        }

        /** The backend the recurrent steps run on. */
        public String backendName() {
            return rnnSteps.backendName();
        }

        /** Back to the state before any token. */
        public void reset() {
            state.reset();
        }

        @Override
        public void close() {
            state.close();
            rnnSteps.close();
        }
    }

    /** The log-probability the model gives {@code continuation} after {@code prompt}. */
    public double logProbability(int[] prompt, int[] continuation) {
        int[] all = Arrays.copyOf(prompt, prompt.length + continuation.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
        FloatTensor z = logits(column(Arrays.copyOf(all, all.length - 1)), null, new State[1]);
        double sum = 0;
        for (int i = 0; i < continuation.length; i++) {
            float[] row = new float[vocabulary];
            for (int v = 0; v < vocabulary; v++) {
                row[v] = z.get(prompt.length - 1 + i, 0, v);
            }
            sum += Losses.logSoftmax(row)[continuation[i]];
        }
        return sum;
    }

    private record Beam(int[] tokens, double score, int parent) {
    }

    /**
     * The continuation of {@code length} tokens that beam search with {@code width} beams finds
     * most likely: at each step every beam is extended by every token and the {@code width} best
     * prefixes (by total log-probability) are kept.
     */
    public int[] beamSearch(int[] prompt, int length, int width) {
        State[] state = new State[1];
        float[] first = lastRow(logits(column(prompt), null, state));
        List<Beam> beams = List.of(new Beam(new int[0], 0, 0));
        float[][] rows = {first};
        State states = state[0];
        for (int step = 0; step < length; step++) {
            List<Beam> candidates = new ArrayList<>();
            for (int b = 0; b < beams.size(); b++) {
                double[] logp = Losses.logSoftmax(rows[b]);
                for (int v = 0; v < vocabulary; v++) {
                    int[] tokens = Arrays.copyOf(beams.get(b).tokens(), step + 1);
                    tokens[step] = v;
                    candidates.add(new Beam(tokens, beams.get(b).score() + logp[v], b));
                }
            }
            candidates.sort(Comparator.comparingDouble(Beam::score).reversed());
            beams = candidates.subList(0, Math.min(width, candidates.size()));
            if (step == length - 1) {
                break;
            }
            int[] parents = beams.stream().mapToInt(Beam::parent).toArray();
            int[][] next = new int[1][beams.size()];
            for (int b = 0; b < beams.size(); b++) {
                next[0][b] = beams.get(b).tokens()[step];
            }
            FloatTensor z = logits(next, new State(Recurrent.batchRows(states.h(), parents),
                    states.c() == null ? null : Recurrent.batchRows(states.c(), parents)), state);
            states = state[0];
            rows = new float[beams.size()][vocabulary];
            for (int b = 0; b < beams.size(); b++) {
                for (int v = 0; v < vocabulary; v++) {
                    rows[b][v] = z.get(0, b, v);
                }
            }
        }
        return beams.get(0).tokens();
    }

    private static int[][] column(int[] tokens) {
        int[][] out = new int[tokens.length][1];
        for (int t = 0; t < tokens.length; t++) {
            out[t][0] = tokens[t];
        }
        return out;
    }

    private float[] lastRow(FloatTensor z) {
        float[] row = new float[vocabulary];
        for (int v = 0; v < vocabulary; v++) {
            row[v] = z.get(z.dim(0) - 1, 0, v);
        }
        return row;
    }

    /** The backend that runs the recurrent part, once the first forward chose it. */
    public String backendName() {
        return rnn.backendName();
    }

    /** The architecture of the recurrent part. */
    public RnnDescriptor architecture() {
        return rnn.architecture();
    }

    Recurrent recurrent() {
        return rnn;
    }

    int embeddingDim() {
        return embedding.dim();
    }

    double dropoutProbability() {
        return dropout.probability();
    }

    @Override
    public void close() {
        rnn.close();
    }
}

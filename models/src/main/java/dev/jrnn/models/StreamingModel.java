package dev.jrnn.models;

import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.stream.StreamState;
import dev.jrnn.models.stream.StreamingRnn;
import java.util.Objects;

/**
 * A whole model run one event at a time, for services and stream processors: each step reads one
 * input (a feature vector, or a token through the model's embedding), advances the recurrent
 * state, and writes what the model's head makes of the state so far:
 * <ul>
 * <li>{@link SequenceRegressor}: its predictions after the events so far;</li>
 * <li>{@link SequenceClassifier} (left to right, {@link SequenceClassifier.Pooling#LAST}): the
 * class scores of the sequence so far;</li>
 * <li>{@link SequenceTagger} (left to right): this event's tag scores;</li>
 * <li>{@link LanguageModel}: the next token's scores;</li>
 * <li>a bare {@link Recurrent} (left to right): the top layer's hidden state.</li>
 * </ul>
 * Equal, within float rounding, to the model's own whole-sequence inference on the events so far.
 *
 * <p><b>Threads.</b> The model is immutable once made and may be shared by any number of threads;
 * each {@link Stream} (a {@link StreamState} and the step's buffers) belongs to one caller at a
 * time. A step allocates nothing. The model's weights are read when this is made: train the
 * model no further while it streams.
 */
public final class StreamingModel implements AutoCloseable {

    private final Embedding embedding;
    private final Linear head;
    private final StreamingRnn rnn;

    private StreamingModel(Embedding embedding, Recurrent recurrent, Linear head, String backend) {
        this.embedding = embedding;
        this.head = head;
        rnn = StreamingRnn.prepare(recurrent.architecture(), recurrent.weights(), backend, recurrent.precision());
    }

    /** {@code model} streamed on the backend its recurrent part asked for ({@code auto} unless set). */
    public static StreamingModel of(Module model) {
        return of(model, null);
    }

    /**
     * {@code model} streamed on {@code backend} ({@code auto} or a backend's name; null: the one
     * the model's recurrent part asked for). A model that cannot stream (bidirectional, max
     * pooling, an encoder-decoder) is an {@link IllegalArgumentException} saying why.
     */
    public static StreamingModel of(Module model, String backend) {
        Objects.requireNonNull(model, "model");
        Embedding embedding = model.namedChildren().get("embedding") instanceof Embedding e ? e : null;
        Linear head = model.namedChildren().get("head") instanceof Linear l ? l : null;
        Recurrent rnn = switch (model) {
            case LanguageModel m -> m.recurrent();
            case SequenceRegressor m -> m.recurrent();
            case SequenceTagger m -> m.recurrent();
            case SequenceClassifier m -> {
                if (m.pooling() != SequenceClassifier.Pooling.LAST) {
                    throw new IllegalArgumentException("a SequenceClassifier with " + m.pooling() + " pooling cannot "
                            + "stream: only LAST pooling reads the state so far");
                }
                yield m.recurrent();
            }
            case Recurrent r -> {
                embedding = null;
                head = null;
                yield r;
            }
            default -> throw new IllegalArgumentException("a " + model.getClass().getSimpleName() + " cannot stream: "
                    + "LanguageModel, SequenceClassifier, SequenceTagger, SequenceRegressor and Recurrent can");
        };
        if (rnn.architecture().direction() != Direction.UNIDIRECTIONAL) {
            throw new IllegalArgumentException("a bidirectional " + model.getClass().getSimpleName() + " cannot stream: "
                    + "its reverse direction reads the sequence from the end");
        }
        return new StreamingModel(embedding, rnn, head, backend != null ? backend : rnn.requestedBackend());
    }

    /** Whether a step reads a token id ({@link Stream#step(int)}) rather than a feature vector. */
    public boolean readsTokens() {
        return embedding != null;
    }

    /** Token ids are below this; 0 for a model of feature vectors. */
    public int vocabulary() {
        return embedding == null ? 0 : embedding.vocabulary();
    }

    /** The values a feature step reads; 0 for a model of tokens. */
    public int inputSize() {
        return embedding == null ? rnn.descriptor().inputSize() : 0;
    }

    /** The values a step writes: the head's outputs, or the hidden size without a head. */
    public int outputSize() {
        return head == null ? rnn.descriptor().hiddenSize() : head.outputSize();
    }

    /** The recurrent stack's single-step architecture (what {@link StreamState}'s bytes describe). */
    public RnnDescriptor architecture() {
        return rnn.descriptor();
    }

    /** The backend the steps run on. */
    public String backendName() {
        return rnn.backendName();
    }

    /** A new stream, its state zero. */
    public Stream newStream() {
        return new Stream();
    }

    /** One stream: its recurrent state and the buffers of a step. Owned by one caller at a time. */
    public final class Stream implements AutoCloseable {
        private final StreamState state = rnn.newState();
        private final float[] input = new float[rnn.descriptor().inputSize()];
        private final float[] hidden = new float[rnn.descriptor().hiddenSize()];
        private final float[] output = head == null ? hidden : new float[head.outputSize()];

        private Stream() {
        }

        /** The recurrent state: {@link StreamState#reset}, {@link StreamState#toBytes}, {@link StreamState#readFrom}. */
        public StreamState state() {
            return state;
        }

        /**
         * Reads one feature vector ({@link #inputSize()} values); returns the model's output
         * ({@link #outputSize()} values, a live array the next step overwrites).
         */
        public float[] step(float[] features) {
            if (embedding != null) {
                throw new IllegalStateException("this model reads token ids: step(int)");
            }
            return advance(features);
        }

        /** Reads one token id (below {@link #vocabulary()}); returns the output as {@link #step(float[])} does. */
        public float[] step(int token) {
            if (embedding == null) {
                throw new IllegalStateException("this model reads feature vectors: step(float[])");
            }
            if (token < 0 || token >= embedding.vocabulary()) {
                throw new IllegalArgumentException("token " + token + " is not in [0, " + embedding.vocabulary() + ")");
            }
            System.arraycopy(embedding.weight().values(), token * input.length, input, 0, input.length);
            return advance(input);
        }

        private float[] advance(float[] x) {
            rnn.step(x, state, hidden);
            if (head != null) {
                head.forwardRow(hidden, output);
            }
            return output;
        }

        @Override
        public void close() {
            state.close();
        }
    }

    @Override
    public void close() {
        rnn.close();
    }
}

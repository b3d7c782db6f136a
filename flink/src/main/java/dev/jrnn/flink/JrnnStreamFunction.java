package dev.jrnn.flink;

import dev.jrnn.models.StreamingModel;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;
import java.io.Serializable;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * A jrnn model applied to keyed event streams, one event at a time: each key (a sensor, a user, a
 * session) has its own recurrent state, kept in Flink's keyed state as {@link
 * dev.jrnn.models.stream.StreamState}'s byte form, so it is checkpointed, restored after a failure,
 * rescaled and kept in RocksDB like any other keyed state (exactly once with checkpointing on).
 *
 * <p>For each event: the key's state is read into the operator's one {@link StreamingModel.Stream}
 * (a zero state for a new key), the model steps on the event, the new state is written back, and
 * {@code emitter} turns the key, the event, the model's output and the state into the record
 * emitted. The output is what {@link StreamingModel} writes: a regressor's predictions, a
 * classifier's scores of the key's sequence so far, a tagger's scores of this event, a language
 * model's scores of the next token, or a bare recurrent stack's hidden state.
 *
 * <pre>{@code
 * byte[] model = Checkpoint.toBytes(regressor, Map.of());           // or Files.readAllBytes(a saveModel checkpoint)
 * events.keyBy(e -> e.sensor)
 *       .process(JrnnStreamFunction.overFeatures(model, (Reading e) -> e.values,
 *               (sensor, e, output, state) -> new Forecast(sensor, e.time, output), Types.POJO(Forecast.class)))
 *       .uid("jrnn-forecast");                                        // keyed state survives job changes by uid
 * }</pre>
 *
 * The model's bytes travel with the function and are read once per parallel instance, in
 * {@link #open}; they are also read once when the function is made, so a wrong model or input kind
 * fails on the client, before the job is submitted.
 */
public final class JrnnStreamFunction<K, IN, OUT> extends KeyedProcessFunction<K, IN, OUT>
        implements ResultTypeQueryable<OUT> {

    private static final long serialVersionUID = 1L;

    /** An event's feature vector (the model's input size; read, not kept). */
    @FunctionalInterface
    public interface Features<IN> extends Serializable {
        float[] of(IN event);
    }

    /** An event's token id (below the model's vocabulary). */
    @FunctionalInterface
    public interface Token<IN> extends Serializable {
        int of(IN event);
    }

    /** The record emitted for an event. */
    @FunctionalInterface
    public interface Emitter<K, IN, OUT> extends Serializable {
        /**
         * @param output the model's output after this event (a fresh array, the emitter's to keep)
         * @param state the key's state after this event, in its byte form: the array stored in
         *        Flink's state, to be read, never changed
         */
        OUT emit(K key, IN event, float[] output, byte[] state);
    }

    /** The name of the keyed state holding each key's recurrent state. */
    public static final String STATE_NAME = "jrnn-stream-state";

    private final byte[] modelBytes;
    private final Features<IN> features;
    private final Token<IN> token;
    private final Emitter<K, IN, OUT> emitter;
    private final TypeInformation<OUT> outputType;
    private final String backend;

    private transient Module model;
    private transient StreamingModel streaming;
    private transient StreamingModel.Stream stream;
    private transient ValueState<byte[]> state;

    private JrnnStreamFunction(byte[] modelBytes, Features<IN> features, Token<IN> token, Emitter<K, IN, OUT> emitter,
                               TypeInformation<OUT> outputType, String backend) {
        this.modelBytes = Objects.requireNonNull(modelBytes, "modelBytes");
        this.features = features;
        this.token = token;
        this.emitter = Objects.requireNonNull(emitter, "emitter");
        this.outputType = Objects.requireNonNull(outputType, "outputType");
        this.backend = backend;
    }

    /**
     * A function whose model (the bytes of a {@link Checkpoint#saveModel} or {@link Checkpoint#toBytes}
     * checkpoint) reads a feature vector per event.
     */
    public static <K, IN, OUT> JrnnStreamFunction<K, IN, OUT> overFeatures(byte[] model, Features<IN> features,
                                                                          Emitter<K, IN, OUT> emitter,
                                                                          TypeInformation<OUT> outputType) {
        return new JrnnStreamFunction<>(model, Objects.requireNonNull(features, "features"), null, emitter, outputType,
                null).checked();
    }

    /** A function whose model reads a token id per event (a language model, a token classifier or tagger). */
    public static <K, IN, OUT> JrnnStreamFunction<K, IN, OUT> overTokens(byte[] model, Token<IN> token,
                                                                        Emitter<K, IN, OUT> emitter,
                                                                        TypeInformation<OUT> outputType) {
        return new JrnnStreamFunction<>(model, null, Objects.requireNonNull(token, "token"), emitter, outputType, null)
                .checked();
    }

    /** The same function with its steps on {@code name} ({@code auto}, {@code simd}, ...; default: the task's {@code -Djrnn.backend}, else auto). */
    public JrnnStreamFunction<K, IN, OUT> backend(String name) {
        return new JrnnStreamFunction<>(modelBytes, features, token, emitter, outputType, Objects.requireNonNull(name, "name"));
    }

    /** Loads the model once here, on the client, so that a wrong one fails before the job runs. */
    private JrnnStreamFunction<K, IN, OUT> checked() {
        Module m = load();
        try (StreamingModel s = StreamingModel.of(m, "reference")) {
            if (s.readsTokens() != (token != null)) {
                throw new IllegalArgumentException("the model (" + m.getClass().getSimpleName() + ") reads "
                        + (s.readsTokens() ? "token ids: use JrnnStreamFunction.overTokens" : "feature vectors: use JrnnStreamFunction.overFeatures"));
            }
        } finally {
            Module.closeIfNeeded(m);
        }
        return this;
    }

    private Module load() {
        try {
            return Checkpoint.loadModel(modelBytes, "JrnnStreamFunction's model").model();
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }


    @Override
    public void open(OpenContext context) {
        model = load();
        streaming = StreamingModel.of(model, backend);
        stream = streaming.newStream();
        state = getRuntimeContext().getState(new ValueStateDescriptor<>(STATE_NAME,
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(IN event, Context context, Collector<OUT> out) throws Exception {
        K key = context.getCurrentKey();
        byte[] saved = state.value();
        float[] output;
        try {
            if (saved == null) {
                stream.state().reset();
            } else {
                stream.state().readFrom(saved);
            }
            output = token != null ? stream.step(token.of(event)) : stream.step(features.of(event));
        } catch (IllegalArgumentException e) {
            // a state of another model (the job restored with a new one) or an event the model cannot read
            throw new IllegalArgumentException("key " + key + ": " + e.getMessage(), e);
        }
        byte[] next = stream.state().toBytes(); // a new array each time: the heap backend keeps the reference
        state.update(next);
        out.collect(emitter.emit(key, event, output.clone(), next));
    }

    @Override
    public void close() {
        if (stream != null) {
            stream.close();
        }
        if (streaming != null) {
            streaming.close();
        }
        if (model != null) {
            Module.closeIfNeeded(model);
        }
    }

    @Override
    public TypeInformation<OUT> getProducedType() {
        return outputType;
    }
}

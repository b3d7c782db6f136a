package dev.jrnn.flink;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * Flink SQL's {@code CREATE MODEL ... WITH ('provider' = 'jrnn', 'path' = ...)}: {@code ML_PREDICT}
 * runs a jrnn {@link SequenceClassifier} or {@link SequenceRegressor} checkpoint in-process on a
 * column of whole sequences, one row at a time, giving what the model's own inference gives.
 *
 * <pre>{@code
 * CREATE MODEL sentiment INPUT (tokens ARRAY<INT>) OUTPUT (scores ARRAY<FLOAT>, label INT)
 *   WITH ('provider' = 'jrnn', 'path' = '/models/sentiment-gru.safetensors');
 * SELECT id, label FROM ML_PREDICT(TABLE reviews, MODEL sentiment, DESCRIPTOR(tokens));
 * }</pre>
 *
 * <ul>
 * <li>INPUT: one column, {@code ARRAY<ARRAY<FLOAT>>} (steps of feature vectors) for a model of
 * features, {@code ARRAY<INT>} (token ids) for a model of tokens; a null sequence gives null outputs.</li>
 * <li>OUTPUT: one or two columns, {@code ARRAY<FLOAT>} (a classifier's scores, a regressor's
 * values) and, for a classifier, {@code INT} (the class with the highest score).</li>
 * <li>{@code path}: a checkpoint written by {@code Checkpoint.saveModel} (every {@code jrnn} command
 * writes one), read where the statement is planned and shipped with the job, so task managers need
 * no access to it; {@code backend} (optional): {@code auto}, {@code simd}, ...</li>
 * </ul>
 * The model is checked against INPUT and OUTPUT when the statement is planned; a mismatch is a
 * {@link ValidationException} naming the model and what was expected.
 */
public final class JrnnModelProviderFactory implements ModelProviderFactory {

    /** The {@code 'provider'} value that picks this factory. */
    public static final String IDENTIFIER = "jrnn";

    public static final ConfigOption<String> PATH = ConfigOptions.key("path").stringType().noDefaultValue()
            .withDescription("A jrnn model checkpoint (Checkpoint.saveModel), read when the statement is planned.");
    public static final ConfigOption<String> BACKEND = ConfigOptions.key("backend").stringType().noDefaultValue()
            .withDescription("The backend the model runs on: auto, reference, simd, onednn (default: the task's "
                    + "-Djrnn.backend, else auto).");

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(PATH);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(BACKEND);
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        helper.validate();
        String name = "jrnn model " + context.getObjectIdentifier().asSummaryString();
        Path path = Path.of(helper.getOptions().get(PATH));
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ValidationException(name + ": cannot read its 'path' " + path + " (" + e + ")", e);
        }
        Predictor predictor = Predictor.check(name, bytes, path.toString(),
                context.getCatalogModel().getResolvedInputSchema(), context.getCatalogModel().getResolvedOutputSchema(),
                helper.getOptions().getOptional(BACKEND).orElse(null));
        return new Provider(predictor);
    }

    private record Provider(Predictor predictor) implements PredictRuntimeProvider {
        @Override
        public PredictFunction createPredictFunction(ModelProvider.Context context) {
            return predictor;
        }

        @Override
        public ModelProvider copy() {
            return new Provider(predictor);
        }
    }

    /**
     * The function ML_PREDICT calls per row; the model's bytes travel with it, loaded in
     * {@link #open}. Public only because the planner's generated code calls it.
     */
    public static final class Predictor extends PredictFunction {
        private static final long serialVersionUID = 1L;

        private final String name;
        private final byte[] modelBytes;
        private final String source;
        private final boolean tokens;
        /** The features a step has, or for a model of tokens the vocabulary. */
        private final int width;
        /** Per output column: true for the class (INT), false for the scores or values ({@code ARRAY<FLOAT>}). */
        private final boolean[] label;
        private final String backend;
        private transient Module model;

        private Predictor(String name, byte[] modelBytes, String source, boolean tokens, int width, boolean[] label,
                          String backend) {
            this.name = name;
            this.width = width;
            this.modelBytes = modelBytes;
            this.source = source;
            this.tokens = tokens;
            this.label = label;
            this.backend = backend;
        }

        /** Checks the model against the declared schemas, on the client. */
        static Predictor check(String name, byte[] bytes, String source, ResolvedSchema input, ResolvedSchema output,
                               String backend) {
            Module model = load(name, bytes, source);
            try {
                boolean classifier = model instanceof SequenceClassifier;
                if (!classifier && !(model instanceof SequenceRegressor)) {
                    throw new ValidationException(name + ": " + source + " holds a " + model.getClass().getSimpleName()
                            + "; ML_PREDICT runs a SequenceClassifier or a SequenceRegressor");
                }
                boolean tokens = model.namedChildren().get("embedding") instanceof Embedding;
                int width = tokens ? ((Embedding) model.namedChildren().get("embedding")).vocabulary()
                        : ((Recurrent) model.namedChildren().get("rnn")).architecture().inputSize();
                String expectedInput = tokens ? "ARRAY<INT> (token ids)" : "ARRAY<ARRAY<FLOAT>> (steps of features)";
                if (input.getColumnCount() != 1 || !(tokens ? isArrayOf(type(input, 0), LogicalTypeRoot.INTEGER)
                        : type(input, 0) instanceof ArrayType outer && isArrayOf(outer.getElementType(), LogicalTypeRoot.FLOAT))) {
                    throw new ValidationException(name + ": INPUT must be one column of " + expectedInput + " for its "
                            + model.getClass().getSimpleName() + ", not " + input.getColumns().stream().map(Column::toString).toList());
                }
                int n = output.getColumnCount();
                boolean[] label = new boolean[n];
                for (int i = 0; i < n; i++) {
                    LogicalType t = type(output, i);
                    label[i] = t.getTypeRoot() == LogicalTypeRoot.INTEGER;
                    if (!(label[i] && classifier) && !isArrayOf(t, LogicalTypeRoot.FLOAT)) {
                        throw new ValidationException(name + ": OUTPUT column " + output.getColumns().get(i)
                                + " must be ARRAY<FLOAT> (" + (classifier ? "the class scores" : "the predicted values") + ")"
                                + (classifier ? " or INT (the class)" : ""));
                    }
                }
                if (n == 0 || n > 2) {
                    throw new ValidationException(name + ": OUTPUT must have one or two columns, not " + n);
                }
                return new Predictor(name, bytes, source, tokens, width, label, backend);
            } finally {
                Module.closeIfNeeded(model);
            }
        }

        private static LogicalType type(ResolvedSchema schema, int column) {
            return schema.getColumnDataTypes().get(column).getLogicalType();
        }

        private static boolean isArrayOf(LogicalType t, LogicalTypeRoot element) {
            return t instanceof ArrayType a && a.getElementType().getTypeRoot() == element;
        }

        private static Module load(String name, byte[] bytes, String source) {
            try {
                return Checkpoint.loadModel(bytes, source).model();
            } catch (IOException e) {
                throw new ValidationException(name + ": " + e.getMessage(), e);
            }
        }


        @Override
        public void open(FunctionContext context) throws Exception {
            super.open(context);
            model = load(name, modelBytes, source);
            if (backend != null) {
                switch (model) {
                    case SequenceClassifier c -> c.backend(backend);
                    case SequenceRegressor r -> r.backend(backend);
                    default -> throw new IllegalStateException("checked when planned");
                }
            }
        }

        @Override
        public void close() throws Exception {
            if (model != null) {
                Module.closeIfNeeded(model);
            }
            super.close();
        }

        @Override
        public Collection<RowData> predict(RowData features) {
            GenericRowData row = new GenericRowData(label.length);
            if (!features.isNullAt(0)) {
                float[] scores = scores(features.getArray(0));
                for (int i = 0; i < label.length; i++) {
                    row.setField(i, label[i] ? argMax(scores) : new GenericArrayData(scores));
                }
            }
            return List.of(row);
        }

        /** The model's own inference on one sequence: {@code [outputs]}. */
        private float[] scores(ArrayData sequence) {
            int steps = sequence.size();
            if (steps == 0) {
                throw new IllegalArgumentException("ML_PREDICT with " + name + ": an empty sequence (a model reads at least one step)");
            }
            if (tokens) {
                int vocabulary = width;
                int[][] ids = new int[steps][1];
                for (int t = 0; t < steps; t++) {
                    if (sequence.isNullAt(t) || (ids[t][0] = sequence.getInt(t)) < 0 || ids[t][0] >= vocabulary) {
                        throw new IllegalArgumentException("ML_PREDICT with " + name + ": token " + (t + 1) + " of the sequence is "
                                + (sequence.isNullAt(t) ? "null" : ids[t][0]) + ", not an id in [0, " + vocabulary + ")");
                    }
                }
                return ((SequenceClassifier) model).logits(ids, null).toArray();
            }
            int inputs = width;
            FloatTensor x = FloatTensor.zeros(steps, 1, inputs);
            for (int t = 0; t < steps; t++) {
                ArrayData step = sequence.isNullAt(t) ? null : sequence.getArray(t);
                if (step == null || step.size() != inputs) {
                    throw new IllegalArgumentException("ML_PREDICT with " + name + ": step " + (t + 1) + " of the sequence has "
                            + (step == null ? "no features (null)" : step.size() + " features") + ", the model reads " + inputs);
                }
                for (int i = 0; i < inputs; i++) {
                    if (step.isNullAt(i)) {
                        throw new IllegalArgumentException("ML_PREDICT with " + name + ": feature " + (i + 1) + " of step "
                                + (t + 1) + " is null");
                    }
                    x.set(t, 0, i, step.getFloat(i));
                }
            }
            return switch (model) {
                case SequenceClassifier c -> c.logits(x, null).toArray();
                case SequenceRegressor r -> r.predict(x).toArray();
                default -> throw new IllegalStateException("checked when planned");
            };
        }

        private static int argMax(float[] scores) {
            int best = 0;
            for (int i = 1; i < scores.length; i++) {
                if (scores[i] > scores[best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}

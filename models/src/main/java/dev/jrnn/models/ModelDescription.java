package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A topology model's shape as text ({@code model.*} entries of a checkpoint's metadata), and the
 * model rebuilt from it: what lets a checkpoint be read without the code that trained it
 * ({@link dev.jrnn.models.train.Checkpoint#loadModel}, {@code jrnn run}, ONNX export).
 * The weights come from the checkpoint; only the shape and the inference settings are described.
 */
public final class ModelDescription {

    /** The key naming the model's class; the other entries are {@code model.<name>}. */
    public static final String KIND = "model";
    private static final String PREFIX = "model.";
    /** No dimension of a described model may exceed this: a file cannot make us allocate without bound. */
    private static final int MAX_SIZE = 1 << 24;

    private ModelDescription() {
    }

    /** The description of {@code model}, one of the topology classes of this package. */
    public static Map<String, String> of(Module model) {
        Map<String, String> d = new LinkedHashMap<>();
        switch (model) {
            case LanguageModel m -> {
                d.put(KIND, "LanguageModel");
                recurrent(d, m.recurrent());
                d.put(PREFIX + "vocabulary", Integer.toString(m.vocabulary()));
                d.put(PREFIX + "embedding", Integer.toString(m.embeddingDim()));
                d.put(PREFIX + "dropout", Double.toString(m.dropoutProbability()));
            }
            case SequenceClassifier m -> {
                d.put(KIND, "SequenceClassifier");
                recurrent(d, m.recurrent());
                tokens(d, m.vocabularyOrZero(), m.embeddingDimOrZero());
                d.put(PREFIX + "classes", Integer.toString(m.classes()));
                d.put(PREFIX + "pooling", m.pooling().name().toLowerCase(Locale.ROOT));
            }
            case SequenceTagger m -> {
                d.put(KIND, "SequenceTagger");
                recurrent(d, m.recurrent());
                tokens(d, m.vocabularyOrZero(), m.embeddingDimOrZero());
                d.put(PREFIX + "classes", Integer.toString(m.classes()));
            }
            case SequenceRegressor m -> {
                d.put(KIND, "SequenceRegressor");
                recurrent(d, m.recurrent());
                d.put(PREFIX + "outputs", Integer.toString(m.outputs()));
            }
            case Seq2Seq m -> {
                d.put(KIND, "Seq2Seq");
                recurrent(d, m.encoder());
                tokens(d, m.sourceVocabularyOrZero(), m.sourceVocabularyOrZero() > 0 ? m.embeddingDim() : 0);
                d.put(PREFIX + "target_vocabulary", Integer.toString(m.targetVocabulary()));
                d.put(PREFIX + "target_embedding", Integer.toString(m.embeddingDim()));
                d.put(PREFIX + "bos", Integer.toString(m.bos()));
                d.put(PREFIX + "eos", Integer.toString(m.eos()));
                d.put(PREFIX + "never_emit", String.join(",", Arrays.stream(m.neverEmitted()).mapToObj(Integer::toString).toList()));
            }
            default -> throw new IllegalArgumentException("only jrnn's topology models (LanguageModel, SequenceClassifier, "
                    + "SequenceTagger, SequenceRegressor, Seq2Seq) can be described, not " + model.getClass().getSimpleName());
        }
        return d;
    }

    private static void recurrent(Map<String, String> d, Recurrent rnn) {
        RnnDescriptor a = rnn.architecture();
        d.put(PREFIX + "cell", a.cell().name().toLowerCase(Locale.ROOT));
        d.put(PREFIX + "input", Integer.toString(a.inputSize()));
        d.put(PREFIX + "hidden", Integer.toString(a.hiddenSize()));
        d.put(PREFIX + "layers", Integer.toString(a.layers()));
        d.put(PREFIX + "direction", a.direction().name().toLowerCase(Locale.ROOT));
    }

    private static void tokens(Map<String, String> d, int vocabulary, int embedding) {
        d.put(PREFIX + "vocabulary", Integer.toString(vocabulary)); // 0: the model reads feature vectors
        d.put(PREFIX + "embedding", Integer.toString(embedding));
    }

    /** Whether {@code metadata} describes a model. */
    public static boolean describes(Map<String, String> metadata) {
        return metadata.containsKey(KIND);
    }

    /**
     * The model {@code metadata} describes, with fresh weights (load them next), in evaluation
     * mode. A missing or malformed entry, or a model of more than {@code maxParameters}
     * parameters (a bound the caller knows, e.g. from the file's size), is an
     * {@link IllegalArgumentException} naming it; nothing is allocated before every entry is checked.
     */
    public static Module build(Map<String, String> metadata, long maxParameters) {
        Reader r = new Reader(metadata);
        String kind = metadata.get(KIND);
        if (kind == null) {
            throw new IllegalArgumentException("no model description (the metadata key '" + KIND + "'): a checkpoint of "
                    + "weights alone; build the model in code and use Checkpoint.loadWeights");
        }
        CellKind cell = r.cell();
        int hidden = r.size("hidden"), layers = r.size("layers");
        Direction direction = r.direction();
        int d = direction == Direction.BIDIRECTIONAL ? 2 : 1;
        Module model;
        long parameters;
        switch (kind) {
            case "LanguageModel" -> {
                int v = r.size("vocabulary"), e = r.size("embedding"), input = r.size("input");
                double dropout = r.probability("dropout");
                r.done();
                if (input != e) {
                    throw new IllegalArgumentException("model.input (" + input + ") is not model.embedding (" + e + ")");
                }
                if (direction != Direction.UNIDIRECTIONAL) {
                    throw new IllegalArgumentException("model.direction: a LanguageModel is unidirectional");
                }
                parameters = (long) v * e + rnnParameters(cell, e, hidden, layers, 1) + (long) (hidden + 1) * v;
                check(parameters, maxParameters);
                model = new LanguageModel(cell, v, e, hidden, layers, dropout, 0);
            }
            case "SequenceClassifier", "SequenceTagger" -> {
                int v = r.sizeOrZero("vocabulary"), e = v > 0 ? r.size("embedding") : r.zero("embedding");
                int input = r.size("input"), classes = r.size("classes");
                SequenceClassifier.Pooling pooling = kind.equals("SequenceClassifier")
                        ? r.choice("pooling", SequenceClassifier.Pooling.class) : null;
                r.done();
                if (v > 0 && input != e) {
                    throw new IllegalArgumentException("model.input (" + input + ") is not model.embedding (" + e + ")");
                }
                parameters = (long) v * e + rnnParameters(cell, input, hidden, layers, d) + (long) (d * hidden + 1) * classes;
                check(parameters, maxParameters);
                if (pooling != null) {
                    model = (v > 0 ? new SequenceClassifier(v, e, cell, hidden, layers, direction, classes, 0)
                            : new SequenceClassifier(cell, input, hidden, layers, direction, classes, 0)).pooling(pooling);
                } else {
                    model = v > 0 ? new SequenceTagger(v, e, cell, hidden, layers, direction, classes, 0)
                            : new SequenceTagger(cell, input, hidden, layers, direction, classes, 0);
                }
            }
            case "SequenceRegressor" -> {
                int input = r.size("input"), outputs = r.size("outputs");
                r.done();
                if (direction != Direction.UNIDIRECTIONAL) {
                    throw new IllegalArgumentException("model.direction: a SequenceRegressor is unidirectional");
                }
                parameters = rnnParameters(cell, input, hidden, layers, 1) + (long) (hidden + 1) * outputs;
                check(parameters, maxParameters);
                model = new SequenceRegressor(cell, input, hidden, layers, outputs, 0);
            }
            case "Seq2Seq" -> {
                int v = r.sizeOrZero("vocabulary"), e = v > 0 ? r.size("embedding") : r.zero("embedding");
                int input = r.size("input"), targets = r.size("target_vocabulary"), te = r.size("target_embedding");
                int bos = r.index("bos", targets), eos = r.index("eos", targets);
                int[] never = r.indices("never_emit", targets);
                r.done();
                if (direction != Direction.UNIDIRECTIONAL) {
                    throw new IllegalArgumentException("model.direction: a Seq2Seq encoder is unidirectional");
                }
                if (v > 0 && (input != e || e != te)) {
                    throw new IllegalArgumentException("model.input, model.embedding and model.target_embedding differ ("
                            + input + ", " + e + ", " + te + ")");
                }
                parameters = (long) v * e + (long) targets * te + rnnParameters(cell, input, hidden, layers, 1)
                        + rnnParameters(cell, te, hidden, layers, 1) + (2L * hidden + 1) * hidden + (long) (hidden + 1) * targets;
                check(parameters, maxParameters);
                Seq2Seq s = v > 0 ? new Seq2Seq(cell, v, targets, e, hidden, layers, bos, eos, 0)
                        : Seq2Seq.overFeatures(cell, input, targets, te, hidden, layers, bos, eos, 0);
                model = s.neverEmit(never);
            }
            default -> throw new IllegalArgumentException("model '" + kind + "' is not one jrnn knows (LanguageModel, "
                    + "SequenceClassifier, SequenceTagger, SequenceRegressor, Seq2Seq)");
        }
        model.eval();
        return model;
    }

    private static long rnnParameters(CellKind cell, int input, int hidden, int layers, int directions) {
        long gates = (long) cell.gates() * hidden, total = 0;
        for (int l = 0; l < layers; l++) {
            long in = l == 0 ? input : (long) directions * hidden;
            total += directions * gates * (in + hidden + 2);
        }
        return total;
    }

    private static void check(long parameters, long max) {
        if (parameters > max) {
            throw new IllegalArgumentException("the description is of a model of " + parameters
                    + " parameters, more than the file holds (" + max + ")");
        }
    }

    /** Reads {@code model.*} entries, naming the entry in every complaint, and refuses entries it did not read. */
    private static final class Reader {
        private final Map<String, String> metadata;
        private final List<String> read = new ArrayList<>();

        Reader(Map<String, String> metadata) {
            this.metadata = metadata;
        }

        private String text(String name) {
            String value = metadata.get(PREFIX + name);
            if (value == null) {
                throw new IllegalArgumentException("the model description has no " + PREFIX + name);
            }
            read.add(PREFIX + name);
            return value.strip();
        }

        private int integer(String name, int min, int max) {
            String value = text(name);
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException(PREFIX + name + " is '" + shorten(value) + "', expected a whole number in ["
                    + min + ", " + max + "]");
        }

        int size(String name) {
            return integer(name, 1, MAX_SIZE);
        }

        int sizeOrZero(String name) {
            return integer(name, 0, MAX_SIZE);
        }

        int zero(String name) {
            return integer(name, 0, 0);
        }

        int index(String name, int below) {
            return integer(name, 0, below - 1);
        }

        int[] indices(String name, int below) {
            String value = text(name);
            if (value.isEmpty()) {
                return new int[0];
            }
            String[] parts = value.split(",", -1);
            if (parts.length > below) {
                throw new IllegalArgumentException(PREFIX + name + " lists more tokens than there are");
            }
            int[] out = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    out[i] = Integer.parseInt(parts[i].strip());
                } catch (NumberFormatException e) {
                    out[i] = -1;
                }
                if (out[i] < 0 || out[i] >= below) {
                    throw new IllegalArgumentException(PREFIX + name + ": '" + shorten(parts[i]) + "' is not a token below " + below);
                }
            }
            return out;
        }

        double probability(String name) {
            String value = text(name);
            try {
                double p = Double.parseDouble(value);
                if (p >= 0 && p < 1) {
                    return p;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException(PREFIX + name + " is '" + shorten(value) + "', expected a probability in [0, 1)");
        }

        CellKind cell() {
            return choice("cell", CellKind.class);
        }

        Direction direction() {
            return choice("direction", Direction.class);
        }

        <E extends Enum<E>> E choice(String name, Class<E> type) {
            String value = text(name);
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(value)) {
                    return e;
                }
            }
            throw new IllegalArgumentException(PREFIX + name + " is '" + shorten(value) + "', expected one of "
                    + Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
        }

        /** Every {@code model.*} entry was understood: one this version does not know means a newer writer. */
        void done() {
            for (String key : metadata.keySet()) {
                if (key.startsWith(PREFIX) && !read.contains(key)) {
                    throw new IllegalArgumentException("the model description has an entry this jrnn does not know: " + key);
                }
            }
        }

        private static String shorten(String s) {
            return s.length() > 40 ? s.substring(0, 40) + "..." : s;
        }
    }
}

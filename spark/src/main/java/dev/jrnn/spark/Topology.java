package dev.jrnn.spark;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.ModelDescription;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.train.Losses;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What a topology model reads and what its scores look like in Spark, known on the driver and
 * shipped to the executors (the model itself is not: executors load it from the broadcast bytes).
 * {@code outputs}: classes, a regressor's outputs, or a language model's vocabulary.
 *
 * <p>The scores of a row are one struct:
 * <ul>
 * <li>{@code SequenceClassifier}: {@code prediction int} (the most likely class), {@code scores array<float>} (the logits);</li>
 * <li>{@code SequenceTagger}: {@code prediction array<int>} (a label per step), {@code scores array<array<float>>};</li>
 * <li>{@code SequenceRegressor}: {@code prediction array<float>} (its outputs);</li>
 * <li>{@code LanguageModel}: {@code prediction int} (the most likely next token after the sequence),
 * {@code log_probability double} (of the sequence's tokens after its first, each given those before).</li>
 * </ul>
 */
record Topology(Kind kind, int vocabulary, int features, int outputs) implements Serializable {

    enum Kind { CLASSIFIER, TAGGER, REGRESSOR, LANGUAGE_MODEL }

    static Topology of(Module model) {
        Map<String, String> d = ModelDescription.of(model);
        Kind kind = switch (model) {
            case SequenceClassifier m -> Kind.CLASSIFIER;
            case SequenceTagger m -> Kind.TAGGER;
            case SequenceRegressor m -> Kind.REGRESSOR;
            case LanguageModel m -> Kind.LANGUAGE_MODEL;
            default -> throw new IllegalArgumentException("jrnn-spark scores and trains SequenceClassifier, SequenceTagger, "
                    + "SequenceRegressor and LanguageModel, not " + model.getClass().getSimpleName());
        };
        int vocabulary = Integer.parseInt(d.getOrDefault("model.vocabulary", "0"));
        int outputs = Integer.parseInt(switch (kind) {
            case CLASSIFIER, TAGGER -> d.get("model.classes");
            case REGRESSOR -> d.get("model.outputs");
            case LANGUAGE_MODEL -> d.get("model.vocabulary");
        });
        return new Topology(kind, vocabulary, Integer.parseInt(d.get("model.input")), outputs);
    }

    boolean readsTokens() {
        return vocabulary > 0;
    }

    /** What the model reads: {@code array<int>} of token ids or {@code array<array<float>>} of frames. */
    String expected() {
        return readsTokens() ? "array<int> of token ids below " + vocabulary
                : "array<array<float>> of frames of " + features + " features";
    }

    /**
     * A cell as the model's input ({@code int[]} or {@code float[][]}); null for a null or empty
     * sequence (nothing to score); {@link IllegalArgumentException} if it is malformed.
     */
    Object read(Object cell) {
        Object in = readsTokens() ? Cells.tokens(cell, vocabulary) : Cells.frames(cell, features);
        if (in == null || length(in) == 0) {
            return null;
        }
        return in;
    }

    static int length(Object input) {
        return input instanceof int[] ids ? ids.length : ((float[][]) input).length;
    }

    StructType schema() {
        DataType floats = DataTypes.createArrayType(DataTypes.FloatType, false);
        StructType s = new StructType();
        return switch (kind) {
            case CLASSIFIER -> s.add("prediction", DataTypes.IntegerType, false).add("scores", floats, false);
            case TAGGER -> s.add("prediction", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                    .add("scores", DataTypes.createArrayType(floats, false), false);
            case REGRESSOR -> s.add("prediction", floats, false);
            case LANGUAGE_MODEL -> s.add("prediction", DataTypes.IntegerType, false)
                    .add("log_probability", DataTypes.DoubleType, false);
        };
    }

    /** The scores of {@code inputs} (none null), one model call per batch ({@code SequenceRegressor}: per length in it). */
    Row[] score(Module model, List<Object> inputs) {
        int n = inputs.size();
        Row[] out = new Row[n];
        if (kind == Kind.REGRESSOR) { // it reads equal lengths: one call per length
            SequenceRegressor r = (SequenceRegressor) model;
            for (var group : byLength(inputs).values()) {
                List<float[][]> frames = new ArrayList<>();
                group.forEach(i -> frames.add((float[][]) inputs.get(i)));
                FloatTensor y = r.predict(Batches.features(frames).x());
                int outputs = y.dim(1);
                float[] v = y.toArray();
                for (int j = 0; j < group.size(); j++) {
                    out[group.get(j)] = RowFactory.create((Object) java.util.Arrays.copyOfRange(v, j * outputs, (j + 1) * outputs));
                }
            }
            return out;
        }
        int[] lengths = new int[n];
        FloatTensor x = null;
        int[][] ids = null;
        if (readsTokens()) {
            List<int[]> seqs = new ArrayList<>(n);
            inputs.forEach(i -> seqs.add((int[]) i));
            Batches.Tokens b = Batches.tokens(seqs, 0);
            ids = b.ids();
            lengths = b.lengths();
        } else {
            List<float[][]> seqs = new ArrayList<>(n);
            inputs.forEach(i -> seqs.add((float[][]) i));
            Batches.Features b = Batches.features(seqs);
            x = b.x();
            lengths = b.lengths();
        }
        switch (kind) {
            case CLASSIFIER -> {
                SequenceClassifier c = (SequenceClassifier) model;
                FloatTensor z = ids != null ? c.logits(ids, lengths) : c.logits(x, lengths);
                int classes = z.dim(1);
                float[] v = z.toArray();
                for (int r = 0; r < n; r++) {
                    float[] scores = java.util.Arrays.copyOfRange(v, r * classes, (r + 1) * classes);
                    out[r] = RowFactory.create(argMax(scores), scores);
                }
            }
            case TAGGER -> {
                SequenceTagger t = (SequenceTagger) model;
                FloatTensor z = t.logits(ids != null ? t.embedding().infer(ids) : x, lengths);
                int classes = z.dim(2);
                for (int r = 0; r < n; r++) {
                    float[][] scores = new float[lengths[r]][classes];
                    int[] labels = new int[lengths[r]];
                    for (int s = 0; s < lengths[r]; s++) {
                        for (int c = 0; c < classes; c++) {
                            scores[s][c] = z.get(s, r, c);
                        }
                        labels[s] = argMax(scores[s]);
                    }
                    out[r] = RowFactory.create(labels, scores);
                }
            }
            case LANGUAGE_MODEL -> {
                LanguageModel lm = (LanguageModel) model;
                FloatTensor z = lm.forward(ids, null).logits(); // left to right: padding after a sequence changes none of its steps
                int v = z.dim(2);
                float[] row = new float[v];
                for (int r = 0; r < n; r++) {
                    int[] seq = (int[]) inputs.get(r);
                    double logp = 0;
                    for (int s = 0; s < lengths[r]; s++) {
                        for (int c = 0; c < v; c++) {
                            row[c] = z.get(s, r, c);
                        }
                        if (s + 1 < lengths[r]) {
                            logp += Losses.logSoftmax(row)[seq[s + 1]];
                        }
                    }
                    out[r] = RowFactory.create(argMax(row), logp);
                }
            }
            default -> throw new AssertionError(kind);
        }
        return out;
    }

    /** What a training row's target column holds. */
    String expectedTarget() {
        return switch (kind) {
            case CLASSIFIER -> "an int class in [0, " + outputs + ")";
            case TAGGER -> "array<int> of a class in [0, " + outputs + ") or " + SequenceTagger.IGNORE + " (not counted) per step";
            case REGRESSOR -> "array<float> of " + outputs + " values";
            case LANGUAGE_MODEL -> "no target column (a language model predicts each next token of the sequence)";
        };
    }

    /** A training row's target for an input of {@code length} steps ({@link IllegalArgumentException} if malformed). */
    Object readTarget(Object cell, int length) {
        switch (kind) {
            case CLASSIFIER -> {
                if (!(cell instanceof Integer || cell instanceof Long || cell instanceof Short || cell instanceof Byte)
                        || ((Number) cell).longValue() < 0 || ((Number) cell).longValue() >= outputs) {
                    throw new IllegalArgumentException("the target is " + cell);
                }
                return ((Number) cell).intValue();
            }
            case TAGGER -> {
                List<?> labels = Cells.list(cell, "the target");
                if (labels == null || labels.size() != length) {
                    throw new IllegalArgumentException("the target has " + (labels == null ? "no labels (null)" : labels.size() + " labels")
                            + " for a sequence of " + length + " steps");
                }
                int[] out = new int[length];
                for (int t = 0; t < length; t++) {
                    Object v = labels.get(t);
                    long label = v instanceof Integer || v instanceof Long || v instanceof Short ? ((Number) v).longValue() : Long.MIN_VALUE;
                    if (label != SequenceTagger.IGNORE && (label < 0 || label >= outputs)) {
                        throw new IllegalArgumentException("label " + t + " of the target is " + v);
                    }
                    out[t] = (int) label;
                }
                return out;
            }
            case REGRESSOR -> {
                List<?> values = Cells.list(cell, "the target");
                if (values == null || values.size() != outputs) {
                    throw new IllegalArgumentException("the target has " + (values == null ? "no values (null)" : values.size() + " values"));
                }
                return Cells.numbers(values, "the target");
            }
            case LANGUAGE_MODEL -> {
                if (length < 2) {
                    throw new IllegalArgumentException("a sequence of " + length + " token has nothing to predict");
                }
                return null;
            }
            default -> throw new AssertionError(kind);
        }
    }

    /** A training row: the model's input and its target ({@link #readTarget}). */
    record Example(Object input, Object target) implements Serializable {
    }

    /**
     * Computes the gradient of the loss over {@code rows} with {@code model} at its current
     * weights and adds it to {@code sum}, weighted by how many terms the loss averages over (rows;
     * a tagger's counted steps; a language model's predicted tokens), so that sums over the parts
     * of a batch, divided by the total count, are the whole batch's mean gradient. Returns
     * {@code {count, loss * count}}. {@code none} is an optimizer that does not step.
     */
    double[] accumulate(Module model, List<Example> rows, dev.jrnn.models.train.Optimizer none, double[] sum) {
        double count = 0, loss = 0;
        if (kind == Kind.REGRESSOR) { // equal lengths per call: one gradient per length, weighted by its rows
            for (List<Integer> group : byLength(rows.stream().map(Example::input).toList()).values()) {
                List<float[][]> frames = new ArrayList<>();
                float[] targets = new float[group.size() * outputs];
                for (int j = 0; j < group.size(); j++) {
                    Example e = rows.get(group.get(j));
                    frames.add((float[][]) e.input());
                    System.arraycopy((float[]) e.target(), 0, targets, j * outputs, outputs);
                }
                double l = ((SequenceRegressor) model).trainStep(Batches.features(frames).x(),
                        FloatTensor.of(targets, group.size(), outputs), none, Double.POSITIVE_INFINITY);
                add(model, group.size(), sum);
                count += group.size();
                loss += l * group.size();
            }
            return new double[] {count, loss};
        }
        int n = rows.size();
        int[][] ids = null;
        FloatTensor x = null;
        int[] lengths;
        if (kind == Kind.LANGUAGE_MODEL) { // inputs: all but the last token; targets: all but the first
            List<int[]> in = new ArrayList<>(n), next = new ArrayList<>(n);
            for (Example e : rows) {
                int[] seq = (int[]) e.input();
                in.add(java.util.Arrays.copyOf(seq, seq.length - 1));
                next.add(java.util.Arrays.copyOfRange(seq, 1, seq.length));
                count += seq.length - 1;
            }
            int[][] targets = Batches.labels(next, -1);
            double l = ((LanguageModel) model).trainStep(Batches.tokens(in, 0).ids(), targets, null, none,
                    Double.POSITIVE_INFINITY).loss();
            add(model, count, sum);
            return new double[] {count, l * count};
        }
        if (readsTokens()) {
            Batches.Tokens b = Batches.tokens(rows.stream().map(e -> (int[]) e.input()).toList(), 0);
            ids = b.ids();
            lengths = b.lengths();
        } else {
            Batches.Features b = Batches.features(rows.stream().map(e -> (float[][]) e.input()).toList());
            x = b.x();
            lengths = b.lengths();
        }
        double l;
        if (kind == Kind.CLASSIFIER) {
            SequenceClassifier c = (SequenceClassifier) model;
            int[] labels = rows.stream().mapToInt(e -> (Integer) e.target()).toArray();
            l = ids != null ? c.trainStep(ids, lengths, labels, none, Double.POSITIVE_INFINITY)
                    : c.trainStep(x, lengths, labels, none, Double.POSITIVE_INFINITY);
            count = n;
        } else {
            SequenceTagger t = (SequenceTagger) model;
            List<int[]> labelLists = rows.stream().map(e -> (int[]) e.target()).toList();
            for (int[] ls : labelLists) {
                for (int label : ls) {
                    count += label == SequenceTagger.IGNORE ? 0 : 1;
                }
            }
            int[][] labels = Batches.labels(labelLists, SequenceTagger.IGNORE);
            l = ids != null ? t.trainStep(ids, lengths, labels, none, Double.POSITIVE_INFINITY)
                    : t.trainStep(x, lengths, labels, none, Double.POSITIVE_INFINITY);
        }
        add(model, count, sum);
        return new double[] {count, l * count};
    }

    /** {@code sum += weight * gradient}, over the parameters in order. */
    private static void add(Module model, double weight, double[] sum) {
        int at = 0;
        for (dev.jrnn.models.nn.Parameter p : model.parameters()) {
            float[] g = p.grads();
            for (int i = 0; i < g.length; i++) {
                sum[at + i] += weight * g[i];
            }
            at += g.length;
        }
    }

    /** Positions of {@code inputs} by sequence length, in order of first appearance. */
    static Map<Integer, List<Integer>> byLength(List<?> inputs) {
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            groups.computeIfAbsent(length(inputs.get(i)), k -> new ArrayList<>()).add(i);
        }
        return groups;
    }

    /** The first index of the largest value (as the models' own {@code predict}). */
    static int argMax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}

package dev.jrnn.examples.service;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * A jrnn model served from a checkpoint ({@code Checkpoint.saveModel}), rebuilt from the file
 * alone. One sequence a request: {@code {"sequence": [[x, ...], ...]}} (T steps of the model's
 * input size) for models of feature vectors, {@code {"tokens": [id, ...]}} for models of tokens.
 * Answers: a classifier {@code {"class": k, "scores": [...]}}; a tagger {@code {"classes": [...]}}
 * (one a step); a regressor {@code {"values": [...]}}; a language model the scores of the token
 * after the last, {@code {"next": id, "scores": [...]}}.
 */
final class ModelPredictor implements Predictor {

    private final Module model;
    private final String kind, source;
    /** The model's input: a vector of {@code input} values a step, or a token id below {@code vocabulary} (> 0). */
    private final int input, vocabulary;

    private ModelPredictor(Module model, Map<String, String> info, String source) {
        this.model = model;
        this.kind = info.get("model");
        this.source = source;
        this.input = Integer.parseInt(info.get("model.input"));
        this.vocabulary = Integer.parseInt(info.getOrDefault("model.vocabulary", "0"));
    }

    static ModelPredictor load(Path file, String backend) throws IOException {
        Checkpoint.SavedModel saved = Checkpoint.loadModel(file);
        Module m = saved.model();
        switch (m) {
            case SequenceClassifier c -> c.backend(backend);
            case SequenceTagger t -> t.backend(backend);
            case SequenceRegressor r -> r.backend(backend);
            case LanguageModel l -> l.backend(backend);
            default -> throw new IOException(file + ": a " + m.getClass().getSimpleName() + "; this service serves "
                    + "classifiers, taggers, regressors and language models");
        }
        return new ModelPredictor(m, saved.info(), file.getFileName().toString());
    }

    @Override
    public Callable<String> prepare(Map<String, Object> request, int maxLength) {
        String field = vocabulary > 0 ? "tokens" : "sequence";
        if (!request.keySet().equals(java.util.Set.of(field)) || !(request.get(field) instanceof RequestJson.Numbers x)) {
            throw new IllegalArgumentException("expected {\"" + field + "\": " + (vocabulary > 0 ? "[id, ...]}: token ids below "
                    + vocabulary : "[[x, ...], ...]}: steps of " + input + " numbers"));
        }
        int[] shape = x.shape();
        boolean fits = vocabulary > 0 ? shape.length == 1 : shape.length == 2 && shape[1] == input;
        if (!fits || shape[0] == 0) {
            throw new IllegalArgumentException("\"" + field + "\" is " + x + "; expected " + (vocabulary > 0 ? "[T]" : "[T, " + input + "]")
                    + " with T >= 1");
        }
        int steps = shape[0];
        if (steps > maxLength) {
            throw new IllegalArgumentException("the sequence has " + steps + " steps; this service takes at most " + maxLength);
        }
        if (vocabulary > 0) {
            int[][] tokens = new int[steps][1];
            for (int t = 0; t < steps; t++) {
                double id = x.values()[t];
                if (id != Math.rint(id) || id < 0 || id >= vocabulary) {
                    throw new IllegalArgumentException("token " + t + " is " + id + "; ids are whole numbers from 0 to " + (vocabulary - 1));
                }
                tokens[t][0] = (int) id;
            }
            return () -> answer(tokens, null);
        }
        FloatTensor features = FloatTensor.of(OnnxPredictor.floats(x.values()), steps, 1, input);
        return () -> answer(null, features);
    }

    /** The prediction for one sequence: {@code tokens [T][1]} or {@code features [T, 1, I]}. */
    private String answer(int[][] tokens, FloatTensor features) {
        StringBuilder out = new StringBuilder("{");
        switch (model) {
            case SequenceClassifier c -> {
                float[] scores = (tokens != null ? c.logits(tokens, null) : c.logits(features, null)).toArray();
                Json.floats(out.append("\"class\": ").append(argMax(scores, 0, scores.length)).append(", \"scores\": "), scores);
            }
            case SequenceTagger t -> {
                int[][] classes = tokens != null ? t.predict(tokens, null) : t.predict(features, null);
                int[] perStep = new int[classes.length];
                for (int s = 0; s < perStep.length; s++) {
                    perStep[s] = classes[s][0];
                }
                Json.ints(out.append("\"classes\": "), perStep);
            }
            case SequenceRegressor r -> Json.floats(out.append("\"values\": "), r.predict(features).toArray());
            case LanguageModel l -> {
                float[] scores = l.forward(tokens, null).logits().toArray();
                int v = l.vocabulary(), last = scores.length - v;
                Json.floats(out.append("\"next\": ").append(argMax(scores, last, v)).append(", \"scores\": "),
                        java.util.Arrays.copyOfRange(scores, last, scores.length));
            }
            default -> throw new IllegalStateException("not served: " + model.getClass().getSimpleName());
        }
        return out.append('}').toString();
    }

    private static int argMax(float[] v, int from, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            if (v[from + k] > v[from + best]) {
                best = k;
            }
        }
        return best;
    }

    @Override
    public String describe() {
        return kind + " " + source + " (" + (vocabulary > 0 ? "tokens below " + vocabulary : input + " features a step") + ")";
    }

    @Override
    public void close() {
        if (model instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}

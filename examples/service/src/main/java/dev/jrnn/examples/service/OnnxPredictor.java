package dev.jrnn.examples.service;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.onnx.IntTensor;
import dev.jrnn.onnx.OnnxModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * An ONNX model served: the request names each graph input,
 * {@code {"inputs": {"x": [[[0.1, 0.2]], ...]}}} (nested arrays of the input's shape; a model of one
 * input also takes {@code {"input": ...}}), and the answer gives every graph output,
 * {@code {"outputs": {"y": {"shape": [...], "values": [...]}}}}. Fixed dimensions must match the
 * model's; a free one (time, batch) may be at most the service's length limit.
 */
final class OnnxPredictor implements Predictor {

    private final OnnxModel model;
    private final String source;

    OnnxPredictor(Path file, String backend) throws IOException {
        this.model = OnnxModel.load(file).backend(backend);
        this.source = file.getFileName().toString();
    }

    @Override
    public Callable<String> prepare(Map<String, Object> request, int maxLength) {
        Map<String, Object> given;
        if (request.keySet().equals(java.util.Set.of("input")) && model.inputs().size() == 1) {
            given = Map.of(model.inputs().get(0).name(), request.get("input"));
        } else if (request.keySet().equals(java.util.Set.of("inputs")) && request.get("inputs") instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> named = (Map<String, Object>) m;
            given = named;
        } else {
            throw new IllegalArgumentException("expected {\"inputs\": {" + String.join(", ", model.inputs().stream()
                    .map(i -> "\"" + i.name() + "\": [...]").toList()) + "}}" + (model.inputs().size() == 1 ? " or {\"input\": [...]}" : ""));
        }
        Map<String, Object> inputs = new LinkedHashMap<>();
        for (OnnxModel.Input in : model.inputs()) {
            Object value = given.get(in.name());
            if (!(value instanceof RequestJson.Numbers numbers)) {
                throw new IllegalArgumentException("input \"" + in.name() + "\" " + (value == null ? "is missing" : "must be an array of numbers"));
            }
            check(in, numbers, maxLength);
            inputs.put(in.name(), in.integer() ? IntTensor.of(integers(in.name(), numbers.values()), numbers.shape())
                    : FloatTensor.of(floats(numbers.values()), numbers.shape()));
        }
        for (String name : given.keySet()) {
            if (model.inputs().stream().noneMatch(i -> i.name().equals(name))) {
                throw new IllegalArgumentException("the model has no input \"" + name + "\"");
            }
        }
        return () -> {
            StringBuilder out = new StringBuilder("{\"outputs\": {");
            String comma = "";
            for (Map.Entry<String, FloatTensor> e : model.run(inputs).entrySet()) {
                out.append(comma).append(Json.quote(e.getKey())).append(": {\"shape\": ")
                        .append(Arrays.toString(e.getValue().shape().dims())).append(", \"values\": ");
                Json.floats(out, e.getValue().toArray());
                out.append('}');
                comma = ", ";
            }
            return out.append("}}").toString();
        };
    }

    /** Rank and fixed dimensions as the model declares; free ones at most {@code maxLength}, none 0. */
    private static void check(OnnxModel.Input in, RequestJson.Numbers numbers, int maxLength) {
        int[] shape = numbers.shape();
        if (in.dims() != null && in.dims().size() != shape.length) {
            throw new IllegalArgumentException("input \"" + in.name() + "\" is " + numbers + "; the model takes " + in.dims());
        }
        for (int k = 0; k < shape.length; k++) {
            String declared = in.dims() == null ? "?" : in.dims().get(k);
            boolean fixed = !declared.isEmpty() && declared.chars().allMatch(Character::isDigit);
            if (shape[k] == 0 || (fixed && !declared.equals(Integer.toString(shape[k]))) || (!fixed && shape[k] > maxLength)) {
                throw new IllegalArgumentException("input \"" + in.name() + "\" is " + numbers + "; the model takes "
                        + (in.dims() == null ? "any shape" : in.dims()) + ", free dimensions from 1 to " + maxLength);
            }
        }
    }

    static float[] floats(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }

    private static long[] integers(String name, double[] values) {
        long[] l = new long[values.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = (long) values[i];
            if (l[i] != values[i]) {
                throw new IllegalArgumentException("input \"" + name + "\" takes integers; " + values[i] + " is not one");
            }
        }
        return l;
    }

    @Override
    public String describe() {
        return "ONNX " + source + ": inputs " + model.inputs() + ", outputs " + model.outputs();
    }

    @Override
    public void close() {
        model.close();
    }
}

package dev.jrnn.core.testing;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.tensor.FloatTensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A case written by {@code core/src/test/python/make_pytorch_fixtures.py}: a PyTorch module's
 * weights, inputs and output gradients, and what PyTorch (float64) computed from them. Tensors
 * keep PyTorch's shapes, so batch-first cases hold {@code [N, T, C]} sequences.
 */
public final class PyTorchFixture {

    private static final String ROOT = "/dev/jrnn/core/fixtures/";

    private final String name;
    private final Map<String, String> header = new HashMap<>();
    private final Map<String, int[]> shapes = new LinkedHashMap<>();
    private final Map<String, double[]> values = new LinkedHashMap<>();

    private PyTorchFixture(String name, String text) {
        this.name = name;
        List<String> lines = text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        for (int i = 0; i < lines.size(); i++) {
            String[] words = lines.get(i).trim().split("\\s+");
            if (words[0].equals("tensor")) {
                int[] shape = Arrays.stream(words, 2, words.length).mapToInt(Integer::parseInt).toArray();
                double[] v = Arrays.stream(lines.get(++i).trim().split("\\s+")).mapToDouble(Double::parseDouble).toArray();
                if (v.length != Arrays.stream(shape).reduce(1, (a, b) -> a * b)) {
                    throw new IllegalStateException(name + ": tensor " + words[1] + " has " + v.length + " values for shape "
                            + Arrays.toString(shape));
                }
                shapes.put(words[1], shape);
                values.put(words[1], v);
            } else {
                header.put(words[0], words[1]);
            }
        }
    }

    /** The names of every case, in the generator's order. */
    public static List<String> names() {
        return read("index.txt").lines().filter(l -> !l.isBlank()).toList();
    }

    public static PyTorchFixture load(String name) {
        return new PyTorchFixture(name, read(name + ".txt"));
    }

    public static List<PyTorchFixture> all() {
        List<PyTorchFixture> all = new ArrayList<>();
        for (String n : names()) {
            all.add(load(n));
        }
        return all;
    }

    private static String read(String file) {
        try (InputStream in = PyTorchFixture.class.getResourceAsStream(ROOT + file)) {
            if (in == null) {
                throw new IllegalStateException("fixture " + ROOT + file + " is not on the test class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String name() {
        return name;
    }

    public boolean batchFirst() {
        return header.get("batch_first").equals("1");
    }

    public RnnDescriptor descriptor() {
        return new RnnDescriptor(CellKind.valueOf(header.get("cell")), intHeader("layers"),
                header.get("bidirectional").equals("1") ? Direction.BIDIRECTIONAL : Direction.UNIDIRECTIONAL,
                intHeader("steps"), intHeader("batch"), intHeader("input_size"), intHeader("hidden_size"));
    }

    /** Per-sequence lengths of a packed-sequence case, or null. */
    public int[] lengths() {
        String v = header.get("lengths");
        return v == null ? null : Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private int intHeader(String key) {
        return Integer.parseInt(header.get(key));
    }

    public boolean has(String tensor) {
        return values.containsKey(tensor);
    }

    public int[] shape(String tensor) {
        return shapes.get(require(tensor)).clone();
    }

    public double[] values(String tensor) {
        return values.get(require(tensor)).clone();
    }

    /** The tensor rounded to float (exact for the inputs, which were made in float32). */
    public FloatTensor tensor(String tensor) {
        double[] v = values.get(require(tensor));
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return FloatTensor.of(f, shapes.get(tensor));
    }

    /** The module's parameters, by PyTorch name. */
    public RnnWeights weights() {
        return RnnWeights.fromNamed(descriptor(), tensors(""));
    }

    /** The parameter gradients PyTorch computed, by PyTorch name. */
    public Map<String, double[]> weightGradients() {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (String key : tensors("").keySet()) {
            out.put(key, values("grad." + key));
        }
        return out;
    }

    private Map<String, FloatTensor> tensors(String prefix) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (String key : values.keySet()) {
            if (key.startsWith(prefix + "weight_") || key.startsWith(prefix + "bias_")) {
                out.put(key.substring(prefix.length()), tensor(key));
            }
        }
        return out;
    }

    /** A sequence tensor as the {@code [T, N, C]} view the SPI takes. */
    public FloatTensor sequence(String tensor) {
        FloatTensor t = tensor(tensor);
        return batchFirst() ? t.permute(1, 0, 2) : t;
    }

    private String require(String tensor) {
        if (!values.containsKey(tensor)) {
            throw new IllegalArgumentException(name + " has no tensor '" + tensor + "'; it has " + values.keySet());
        }
        return tensor;
    }

    @Override
    public String toString() {
        return name;
    }
}

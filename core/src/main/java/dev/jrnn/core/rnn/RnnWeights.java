package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The parameters of a recurrent stack in PyTorch's layout and names, one set of four tensors per
 * layer {@code k} and direction:
 *
 * <pre>
 * weight_ih_l{k}[_reverse]  [G*H, in_k]    in_0 = inputSize, in_k = D*H above
 * weight_hh_l{k}[_reverse]  [G*H, H]
 * bias_ih_l{k}[_reverse]    [G*H]
 * bias_hh_l{k}[_reverse]    [G*H]
 * </pre>
 *
 * Rows are in the gate order of {@link CellKind}. The same class holds gradients, which backward
 * accumulates into. Tensors are held, not copied: backends copy or reorder them once, at prepare.
 */
public final class RnnWeights {

    /** The four kinds of parameter, with their PyTorch name stems. */
    public enum Param {
        WEIGHT_IH("weight_ih"),
        WEIGHT_HH("weight_hh"),
        BIAS_IH("bias_ih"),
        BIAS_HH("bias_hh");

        private final String stem;

        Param(String stem) {
            this.stem = stem;
        }

        public String stem() {
            return stem;
        }
    }

    private static final Param[] PARAMS = Param.values();

    private final RnnArchitecture architecture;
    private final FloatTensor[][][] tensors; // [layer][direction][param]

    private RnnWeights(RnnArchitecture architecture, FloatTensor[][][] tensors) {
        this.architecture = architecture;
        this.tensors = tensors;
    }

    /** PyTorch's name, e.g. {@code weight_hh_l1_reverse}. */
    public static String name(Param param, int layer, int direction) {
        return param.stem() + "_l" + layer + (direction == 1 ? "_reverse" : "");
    }

    /** The shape PyTorch gives {@code param} of {@code layer}. */
    public static Shape shape(RnnDescriptor d, Param param, int layer) {
        return shape(d.architecture(), param, layer);
    }

    /** The shape PyTorch gives {@code param} of {@code layer}. */
    public static Shape shape(RnnArchitecture d, Param param, int layer) {
        int rows = d.gates() * d.hiddenSize();
        return switch (param) {
            case WEIGHT_IH -> Shape.of(rows, d.layerInputSize(layer));
            case WEIGHT_HH -> Shape.of(rows, d.hiddenSize());
            case BIAS_IH, BIAS_HH -> Shape.of(rows);
        };
    }

    /** Zero-filled heap tensors, e.g. to accumulate gradients into. */
    public static RnnWeights zeros(RnnDescriptor d) {
        return zeros(d.architecture());
    }

    /** PyTorch's default initialisation from a seed; see {@link #uniform(RnnArchitecture, long)}. */
    public static RnnWeights uniform(RnnDescriptor d, long seed) {
        return uniform(d.architecture(), seed);
    }

    /** Takes tensors by their PyTorch names; see {@link #fromNamed(RnnArchitecture, Map)}. */
    public static RnnWeights fromNamed(RnnDescriptor d, Map<String, FloatTensor> named) {
        return fromNamed(d.architecture(), named);
    }

    /** Zero-filled heap tensors, e.g. to accumulate gradients into. */
    public static RnnWeights zeros(RnnArchitecture d) {
        return build(d, (param, layer, direction) -> FloatTensor.zeros(shape(d, param, layer)));
    }

    /** PyTorch's default initialisation, uniform in {@code [-1/sqrt(H), 1/sqrt(H)]}, from a seed. */
    public static RnnWeights uniform(RnnArchitecture d, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(d.hiddenSize());
        return build(d, (param, layer, direction) -> {
            FloatTensor t = FloatTensor.zeros(shape(d, param, layer));
            for (long i = 0; i < t.size(); i++) {
                t.setFlat(i, (float) random.nextDouble(-bound, bound));
            }
            return t;
        });
    }

    /**
     * Takes tensors by their PyTorch names. Every expected name must be present with its exact
     * shape, and no other name may be: the message names what is missing, extra or misshapen.
     */
    public static RnnWeights fromNamed(RnnArchitecture d, Map<String, FloatTensor> named) {
        Objects.requireNonNull(named, "named");
        TreeSet<String> unexpected = new TreeSet<>(named.keySet());
        RnnWeights weights = build(d, (param, layer, direction) -> {
            String name = name(param, layer, direction);
            unexpected.remove(name);
            FloatTensor t = named.get(name);
            if (t == null) {
                throw new IllegalArgumentException("missing weight '" + name + "' of shape "
                        + shape(d, param, layer) + " for " + d.cell() + " with " + d.layers() + " layer(s), "
                        + d.direction().name().toLowerCase());
            }
            return t;
        });
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException("unexpected weight(s) " + unexpected + " for " + d.cell() + " with "
                    + d.layers() + " layer(s), " + d.direction().name().toLowerCase());
        }
        weights.checkFits(d);
        return weights;
    }

    private interface Factory {
        FloatTensor make(Param param, int layer, int direction);
    }

    private static RnnWeights build(RnnArchitecture d, Factory factory) {
        FloatTensor[][][] tensors = new FloatTensor[d.layers()][d.directions()][PARAMS.length];
        for (int layer = 0; layer < d.layers(); layer++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                for (Param param : PARAMS) {
                    tensors[layer][dir][param.ordinal()] = factory.make(param, layer, dir);
                }
            }
        }
        return new RnnWeights(d, tensors);
    }

    /** The architecture these weights were made for. */
    public RnnArchitecture architecture() {
        return architecture;
    }

    public FloatTensor get(Param param, int layer, int direction) {
        return tensors[layer][direction][param.ordinal()];
    }

    /** All tensors by PyTorch name, in PyTorch's {@code state_dict} order. */
    public Map<String, FloatTensor> named() {
        Map<String, FloatTensor> named = new LinkedHashMap<>();
        for (int layer = 0; layer < architecture.layers(); layer++) {
            for (int dir = 0; dir < architecture.directions(); dir++) {
                for (Param param : PARAMS) {
                    named.put(name(param, layer, dir), get(param, layer, dir));
                }
            }
        }
        return Collections.unmodifiableMap(named);
    }

    /**
     * Checks that these weights fit {@code d}: same architecture, every tensor of its expected
     * shape, and every value finite. Throws {@link IllegalArgumentException} naming the tensor.
     */
    public void checkFits(RnnDescriptor d) {
        checkFits(d.architecture());
    }

    /** {@link #checkFits(RnnDescriptor)} for an architecture. */
    public void checkFits(RnnArchitecture d) {
        if (!architecture.equals(d)) {
            throw new IllegalArgumentException("weights made for " + architecture + " do not fit " + d
                    + " (cell, layers, directions, input and hidden size must match)");
        }
        for (int layer = 0; layer < d.layers(); layer++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                for (Param param : PARAMS) {
                    FloatTensor t = get(param, layer, dir);
                    if (!matches(t.shape(), d, param, layer)) {
                        throw new IllegalArgumentException(name(param, layer, dir) + ": expected shape "
                                + shape(d, param, layer) + " but was " + t.shape());
                    }
                    long bad = t.firstNonFinite();
                    if (bad >= 0) {
                        throw new IllegalArgumentException(name(param, layer, dir) + ": value " + t.getFlat(bad)
                                + " at " + java.util.Arrays.toString(t.coordinates(bad)) + "; weights must be finite");
                    }
                }
            }
        }
    }

    /** {@code shape(d, param, layer).equals(actual)}, without building the expected shape: checks run on every call. */
    private static boolean matches(Shape actual, RnnArchitecture d, Param param, int layer) {
        int rows = d.gates() * d.hiddenSize();
        return switch (param) {
            case WEIGHT_IH -> actual.rank() == 2 && actual.dim(0) == rows && actual.dim(1) == d.layerInputSize(layer);
            case WEIGHT_HH -> actual.rank() == 2 && actual.dim(0) == rows && actual.dim(1) == d.hiddenSize();
            case BIAS_IH, BIAS_HH -> actual.rank() == 1 && actual.dim(0) == rows;
        };
    }

    /**
     * Copies {@code from} (same architecture, every tensor of its shape) into these tensors, e.g.
     * to keep a snapshot. Allocates nothing.
     */
    public void copyFrom(RnnWeights from) {
        from.checkFits(architecture);
        for (int layer = 0; layer < architecture.layers(); layer++) {
            for (int dir = 0; dir < architecture.directions(); dir++) {
                for (Param param : PARAMS) {
                    get(param, layer, dir).copyFrom(from.get(param, layer, dir));
                }
            }
        }
    }

    /** Sets every tensor to zero (before accumulating gradients). */
    public void zero() {
        for (FloatTensor[][] layer : tensors) {
            for (FloatTensor[] dir : layer) {
                for (FloatTensor t : dir) {
                    t.fill(0f);
                }
            }
        }
    }
}

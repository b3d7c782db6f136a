package dev.jrnn.onnx;

import dev.jrnn.core.spi.DenseKernels;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * The operators around the recurrent ones, over {@link Value}s: shape arithmetic, layout changes,
 * dense heads (their products on the backend's dense kernels) and activations, with ONNX's semantics (numpy broadcasting, negative axes and
 * indices, Slice's clamping). {@link #compile} reads and checks a node's attributes once, at load,
 * and returns what runs it.
 */
final class Operators {

    private Operators() {
    }

    /** A compiled node: its outputs from its inputs (null for an omitted optional input). */
    interface Step {
        Value[] run(Value[] inputs);
    }

    /** The operators this class runs (the recurrent ones are {@link RecurrentNode}'s). */
    static final java.util.Set<String> NAMES = java.util.Set.of("Identity", "Constant", "Shape", "Gather", "ConstantOfShape",
            "Concat", "Unsqueeze", "Squeeze", "Transpose", "Reshape", "Slice", "Expand", "Cast", "MatMul", "Gemm",
            "Add", "Sub", "Mul", "Div", "Relu", "Tanh", "Sigmoid", "Softmax", "LogSoftmax");

    /** How many inputs operator {@code op} cannot do without (checked at load, so a step never meets a missing one). */
    static int requiredInputs(String op, int opset) {
        return switch (op) {
            case "Constant" -> 0;
            case "Gather", "Reshape", "Expand", "MatMul", "Gemm", "Add", "Sub", "Mul", "Div" -> 2;
            case "Unsqueeze" -> opset < 13 ? 1 : 2;
            case "Slice", "LSTM", "GRU", "RNN" -> 3;
            default -> 1;
        };
    }

    /**
     * The step for {@code a}'s node at {@code opset}. {@code constants} holds the values known at
     * load (initializers, earlier Constant nodes), for operators whose attributes came as inputs;
     * {@code dense} the backend's kernels that MatMul and Gemm run on.
     */
    static Step compile(Attributes a, int opset, Map<String, Value> constants, Supplier<DenseKernels> dense) {
        Step step = switch (a.op) {
            case "Identity" -> in -> new Value[] {in[0]};
            case "Constant" -> constant(a);
            case "Shape" -> shape(a);
            case "Gather" -> {
                long axis = a.i("axis", 0);
                yield in -> new Value[] {gather(in[0], in[1], axis)};
            }
            case "ConstantOfShape" -> constantOfShape(a);
            case "Concat" -> {
                if (!a.has("axis")) {
                    throw a.unsupported("axis", "is required");
                }
                long axis = a.i("axis", 0);
                yield in -> new Value[] {concat(in, axis)};
            }
            case "Unsqueeze" -> {
                long[] axes = opset < 13 ? required(a, "axes") : null;
                yield in -> new Value[] {unsqueeze(in[0], axes != null ? axes : in[1].integers("axes"))};
            }
            case "Squeeze" -> {
                long[] axes = opset < 13 ? a.ints("axes") : null;
                yield in -> new Value[] {squeeze(in[0], opset < 13 ? axes : in.length > 1 && in[1] != null ? in[1].integers("axes") : null)};
            }
            case "Transpose" -> {
                long[] perm = a.ints("perm");
                yield in -> new Value[] {transpose(in[0], perm == null ? reversed(in[0].rank()) : toInts(perm))};
            }
            case "Reshape" -> {
                a.i("allowzero", 0, 0, 0); // allowzero=1 makes zero-size tensors, which jrnn does not run
                yield in -> new Value[] {reshape(in[0], in[1].integers("shape"))};
            }
            case "Slice" -> {
                if (opset < 10) {
                    throw a.unsupported("starts", "Slice before opset 10 (attributes, not inputs) is not run; export at opset >= 10");
                }
                yield in -> new Value[] {slice(in[0], in[1].integers("starts"), in[2].integers("ends"),
                        in.length > 3 && in[3] != null ? in[3].integers("axes") : null,
                        in.length > 4 && in[4] != null ? in[4].integers("steps") : null)};
            }
            case "Expand" -> in -> new Value[] {broadcastTo(in[0], broadcast(in[0].shape, toShape(in[1].integers("shape"))))};
            case "Cast" -> {
                long to = a.i("to", 0);
                Value.Type type = Value.Type.of((int) to);
                if (type == null) {
                    throw a.unsupported("to", "= " + to + "; jrnn casts to float32 (1), int32 (6) and int64 (7)");
                }
                a.i("saturate", 1); // only for float8 targets, which are refused above
                yield in -> new Value[] {cast(in[0], type)};
            }
            case "MatMul" -> in -> new Value[] {matmul(in[0], in[1], dense.get())};
            case "Gemm" -> {
                float alpha = a.f("alpha", 1), beta = a.f("beta", 1);
                boolean ta = a.i("transA", 0, 0, 1) == 1, tb = a.i("transB", 0, 0, 1) == 1;
                yield in -> new Value[] {gemm(in[0], in[1], in.length > 2 ? in[2] : null, alpha, beta, ta, tb, dense.get())};
            }
            case "Add" -> binary((x, y) -> x + y, Math::addExact);
            case "Sub" -> binary((x, y) -> x - y, Math::subtractExact);
            case "Mul" -> binary((x, y) -> x * y, Math::multiplyExact);
            case "Div" -> binary((x, y) -> x / y, (x, y) -> x / y);
            case "Relu" -> unary(x -> Math.max(x, 0));
            case "Tanh" -> unary(Math::tanh);
            case "Sigmoid" -> unary(x -> 1 / (1 + Math.exp(-x)));
            case "Softmax", "LogSoftmax" -> {
                long axis = a.i("axis", opset < 13 ? 1 : -1);
                boolean log = a.op.equals("LogSoftmax");
                yield in -> new Value[] {softmax(in[0], axis, opset < 13, log)};
            }
            default -> throw a.unsupported(null, "jrnn does not run this operator");
        };
        a.checkAllRead();
        return step;
    }

    private static long[] required(Attributes a, String name) {
        long[] v = a.ints(name);
        if (v == null) {
            throw a.unsupported(name, "is required");
        }
        return v;
    }

    // ---- sources of values ----

    private static Step constant(Attributes a) {
        Value v;
        if (a.has("value")) {
            v = Tensors.read(a.t("value"), "the constant");
        } else if (a.has("value_float")) {
            v = Value.floats(new int[0], new float[] {a.f("value_float")});
        } else if (a.has("value_floats")) {
            float[] f = a.floats("value_floats");
            v = Value.floats(new int[] {f.length}, f);
        } else if (a.has("value_int")) {
            v = Value.longs(Value.Type.INT64, new int[0], new long[] {a.i("value_int", 0)});
        } else if (a.has("value_ints")) {
            long[] l = a.ints("value_ints");
            v = Value.longs(Value.Type.INT64, new int[] {l.length}, l);
        } else {
            throw a.unsupported(null, "a Constant needs one of value, value_float(s), value_int(s); jrnn runs no "
                    + "sparse or string constants");
        }
        Value out = v;
        return in -> new Value[] {out};
    }

    private static Step shape(Attributes a) {
        long start = a.i("start", 0), end = a.has("end") ? a.i("end", 0) : Long.MAX_VALUE;
        return in -> {
            int r = in[0].rank();
            int from = (int) clamp(start < 0 ? start + r : start, 0, r);
            int to = (int) clamp(end == Long.MAX_VALUE ? r : end < 0 ? end + r : end, 0, r);
            long[] dims = new long[Math.max(0, to - from)];
            for (int k = 0; k < dims.length; k++) {
                dims[k] = in[0].shape[from + k];
            }
            return new Value[] {Value.longs(Value.Type.INT64, new int[] {dims.length}, dims)};
        };
    }

    private static Step constantOfShape(Attributes a) {
        Value fill = a.has("value") ? Tensors.read(a.t("value"), "ConstantOfShape's value")
                : Value.floats(new int[] {1}, new float[] {0});
        if (fill.size() != 1) {
            throw a.unsupported("value", "must hold one element, holds " + fill.size());
        }
        return in -> {
            int[] shape = toShape(in[0].integers("shape"));
            Value out = Value.zeros(fill.type, shape);
            if (fill.type == Value.Type.FLOAT) {
                Arrays.fill(out.floats, fill.floats[0]);
            } else {
                Arrays.fill(out.longs, fill.longs[0]);
            }
            return new Value[] {out};
        };
    }

    // ---- shape and layout ----

    static int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = Math.toIntExact(v[k]);
        }
        return out;
    }

    /** A shape from a shape tensor's values, each a dimension >= 0. */
    static int[] toShape(long[] dims) {
        for (long d : dims) {
            if (d < 0 || d > Value.MAX_ELEMENTS) {
                throw new IllegalArgumentException("dimension " + d + " in shape " + Arrays.toString(dims));
            }
        }
        int[] shape = toInts(dims);
        Value.size(shape); // refuses what is too large before anything is allocated
        return shape;
    }

    private static int[] reversed(int rank) {
        int[] p = new int[rank];
        for (int k = 0; k < rank; k++) {
            p[k] = rank - 1 - k;
        }
        return p;
    }

    static Value gather(Value data, Value indices, long axisAttr) {
        int axis = axis(axisAttr, data.rank());
        long[] idx = indices.integers("indices");
        int dim = data.shape[axis];
        int outer = 1, inner = 1;
        for (int k = 0; k < axis; k++) {
            outer *= data.shape[k];
        }
        for (int k = axis + 1; k < data.rank(); k++) {
            inner *= data.shape[k];
        }
        int[] shape = new int[data.rank() - 1 + indices.rank()];
        System.arraycopy(data.shape, 0, shape, 0, axis);
        System.arraycopy(indices.shape, 0, shape, axis, indices.rank());
        System.arraycopy(data.shape, axis + 1, shape, axis + indices.rank(), data.rank() - axis - 1);
        Value out = Value.zeros(data.type, shape);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < idx.length; j++) {
                long i = idx[j] < 0 ? idx[j] + dim : idx[j];
                if (i < 0 || i >= dim) {
                    throw new IllegalArgumentException("index " + idx[j] + " is out of range for an axis of " + dim);
                }
                int from = (int) ((o * (long) dim + i) * inner), to = (o * idx.length + j) * inner;
                copy(data, from, out, to, inner);
            }
        }
        return out;
    }

    private static void copy(Value from, int fromOff, Value to, int toOff, int n) {
        if (from.type == Value.Type.FLOAT) {
            System.arraycopy(from.floats, fromOff, to.floats, toOff, n);
        } else {
            System.arraycopy(from.longs, fromOff, to.longs, toOff, n);
        }
    }

    static Value concat(Value[] in, long axisAttr) {
        Value first = in[0];
        int axis = axis(axisAttr, first.rank());
        int[] shape = first.shape.clone();
        shape[axis] = 0;
        for (Value v : in) {
            if (v.type != first.type || v.rank() != first.rank()) {
                throw new IllegalArgumentException("Concat of " + first + " and " + v);
            }
            for (int k = 0; k < shape.length; k++) {
                if (k != axis && v.shape[k] != first.shape[k]) {
                    throw new IllegalArgumentException("Concat along axis " + axis + " of " + first + " and " + v);
                }
            }
            shape[axis] += v.shape[axis];
        }
        Value out = Value.zeros(first.type, shape);
        int outer = 1;
        for (int k = 0; k < axis; k++) {
            outer *= shape[k];
        }
        int at = 0;
        for (int o = 0; o < outer; o++) {
            for (Value v : in) {
                int chunk = v.size() / Math.max(outer, 1);
                copy(v, o * chunk, out, at, chunk);
                at += chunk;
            }
        }
        return out;
    }

    static Value unsqueeze(Value v, long[] axes) {
        int rank = v.rank() + axes.length;
        boolean[] inserted = new boolean[rank];
        for (long a : axes) {
            int k = axis(a, rank);
            if (inserted[k]) {
                throw new IllegalArgumentException("Unsqueeze: axis " + a + " repeated");
            }
            inserted[k] = true;
        }
        int[] shape = new int[rank];
        for (int k = 0, j = 0; k < rank; k++) {
            shape[k] = inserted[k] ? 1 : v.shape[j++];
        }
        return v.withShape(shape);
    }

    static Value squeeze(Value v, long[] axes) {
        boolean[] drop = new boolean[v.rank()];
        if (axes == null) {
            for (int k = 0; k < drop.length; k++) {
                drop[k] = v.shape[k] == 1;
            }
        } else {
            for (long a : axes) {
                int k = axis(a, v.rank());
                if (v.shape[k] != 1) {
                    throw new IllegalArgumentException("Squeeze: axis " + a + " of " + v + " is not 1");
                }
                drop[k] = true;
            }
        }
        return v.withShape(java.util.stream.IntStream.range(0, v.rank()).filter(k -> !drop[k]).map(k -> v.shape[k]).toArray());
    }

    static Value transpose(Value v, int[] perm) {
        if (perm.length != v.rank()) {
            throw new IllegalArgumentException("Transpose: perm " + Arrays.toString(perm) + " for " + v);
        }
        long[] strides = Value.strides(v.shape);
        int[] shape = new int[perm.length];
        long[] from = new long[perm.length];
        boolean[] used = new boolean[perm.length];
        for (int k = 0; k < perm.length; k++) {
            int p = axis(perm[k], v.rank());
            if (used[p]) {
                throw new IllegalArgumentException("Transpose: perm " + Arrays.toString(perm) + " repeats an axis");
            }
            used[p] = true;
            shape[k] = v.shape[p];
            from[k] = strides[p];
        }
        return gatherStrided(v, shape, from, 0);
    }

    /** A new value of {@code shape} whose element at coordinates {@code c} is {@code v}'s at {@code offset + sum(c[k] * strides[k])}. */
    private static Value gatherStrided(Value v, int[] shape, long[] strides, long offset) {
        Value out = Value.zeros(v.type, shape);
        int n = out.size();
        int[] c = new int[shape.length];
        long at = offset;
        for (int i = 0; i < n; i++) {
            if (v.type == Value.Type.FLOAT) {
                out.floats[i] = v.floats[(int) at];
            } else {
                out.longs[i] = v.longs[(int) at];
            }
            for (int k = shape.length - 1; k >= 0; k--) { // odometer: next coordinates, and their offset
                at += strides[k];
                if (++c[k] < shape[k]) {
                    break;
                }
                at -= strides[k] * shape[k];
                c[k] = 0;
            }
        }
        return out;
    }

    static Value reshape(Value v, long[] target) {
        int[] shape = new int[target.length];
        int infer = -1;
        long known = 1;
        for (int k = 0; k < target.length; k++) {
            long d = target[k];
            if (d == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("Reshape: two -1s in " + Arrays.toString(target));
                }
                infer = k;
                continue;
            }
            if (d == 0) {
                if (k >= v.rank()) {
                    throw new IllegalArgumentException("Reshape: 0 at axis " + k + " of " + Arrays.toString(target)
                            + " copies a dimension " + v + " does not have");
                }
                d = v.shape[k];
            }
            if (d < 0 || d > Value.MAX_ELEMENTS) {
                throw new IllegalArgumentException("Reshape: dimension " + d + " in " + Arrays.toString(target));
            }
            shape[k] = (int) d;
            known *= d;
        }
        if (infer >= 0) {
            if (known == 0 || v.size() % known != 0) {
                throw new IllegalArgumentException("Reshape of " + v + " to " + Arrays.toString(target));
            }
            shape[infer] = (int) (v.size() / known);
        }
        if (Value.size(shape) != v.size()) {
            throw new IllegalArgumentException("Reshape of " + v + " to " + Arrays.toString(target) + ": sizes differ");
        }
        return v.withShape(shape);
    }

    static Value slice(Value v, long[] starts, long[] ends, long[] axes, long[] steps) {
        int r = v.rank();
        if (ends.length != starts.length || (axes != null && axes.length != starts.length)
                || (steps != null && steps.length != starts.length)) {
            throw new IllegalArgumentException("Slice: starts, ends, axes and steps differ in length");
        }
        int[] shape = v.shape.clone();
        long[] first = new long[r], step = new long[r];
        Arrays.fill(step, 1);
        boolean[] seen = new boolean[r];
        for (int j = 0; j < starts.length; j++) {
            int k = axis(axes == null ? j : axes[j], r);
            if (seen[k]) {
                throw new IllegalArgumentException("Slice: axis " + k + " repeated");
            }
            seen[k] = true;
            long s = steps == null ? 1 : steps[j], dim = v.shape[k];
            if (s == 0) {
                throw new IllegalArgumentException("Slice: step 0");
            }
            long start = starts[j] < 0 ? starts[j] + dim : starts[j];
            long end = ends[j] < 0 ? ends[j] + dim : ends[j];
            if (s > 0) { // ONNX's clamping: [0, dim] going forward, [-1, dim - 1] going back
                start = clamp(start, 0, dim);
                end = clamp(end, 0, dim);
                shape[k] = (int) Math.max(0, (end - start + s - 1) / s);
            } else {
                start = clamp(start, -1, dim - 1);
                end = clamp(end, -1, dim - 1);
                shape[k] = (int) Math.max(0, (start - end - s - 1) / -s);
            }
            first[k] = start;
            step[k] = s;
        }
        long[] strides = Value.strides(v.shape), out = new long[r];
        long offset = 0;
        for (int k = 0; k < r; k++) {
            out[k] = strides[k] * step[k];
            offset += first[k] * strides[k];
        }
        return Value.size(shape) == 0 ? Value.zeros(v.type, shape) : gatherStrided(v, shape, out, offset);
    }

    static Value cast(Value v, Value.Type type) {
        if (v.type == type) {
            return v;
        }
        int n = v.size();
        if (type == Value.Type.FLOAT) {
            float[] f = new float[n];
            for (int i = 0; i < n; i++) {
                f[i] = v.longs[i];
            }
            return Value.floats(v.shape, f);
        }
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            l[i] = v.type == Value.Type.FLOAT ? (long) v.floats[i] : v.longs[i]; // toward zero, as C's cast
            if (type == Value.Type.INT32) {
                l[i] = (int) l[i];
            }
        }
        return Value.longs(type, v.shape, l);
    }

    // ---- broadcasting arithmetic ----

    /** numpy's broadcast of two shapes. */
    static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int k = 0; k < r; k++) {
            int x = k - (r - a.length) >= 0 ? a[k - (r - a.length)] : 1;
            int y = k - (r - b.length) >= 0 ? b[k - (r - b.length)] : 1;
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast");
            }
            out[k] = x == 1 ? y : x;
        }
        return out;
    }

    /** The strides that read {@code v} broadcast to {@code shape}: 0 along the axes it repeats. */
    private static long[] broadcastStrides(Value v, int[] shape) {
        long[] own = Value.strides(v.shape), out = new long[shape.length];
        int shift = shape.length - v.rank();
        for (int k = 0; k < v.rank(); k++) {
            out[k + shift] = v.shape[k] == 1 ? 0 : own[k];
        }
        return out;
    }

    static Value broadcastTo(Value v, int[] shape) {
        return gatherStrided(v, shape, broadcastStrides(v, shape), 0);
    }

    private static Step binary(DoubleBinaryOperator f, LongBinaryOperator g) {
        return in -> {
            Value a = in[0], b = in[1];
            if (a.type != b.type) {
                throw new IllegalArgumentException("operands of types " + a.type + " and " + b.type);
            }
            int[] shape = broadcast(a.shape, b.shape);
            Value x = Arrays.equals(a.shape, shape) ? a : broadcastTo(a, shape);
            Value y = Arrays.equals(b.shape, shape) ? b : broadcastTo(b, shape);
            Value out = Value.zeros(a.type, shape);
            for (int i = 0; i < out.size(); i++) {
                if (a.type == Value.Type.FLOAT) {
                    out.floats[i] = (float) f.applyAsDouble(x.floats[i], y.floats[i]);
                } else {
                    out.longs[i] = g.applyAsLong(x.longs[i], y.longs[i]);
                }
            }
            return new Value[] {out};
        };
    }

    private static Step unary(DoubleUnaryOperator f) {
        return in -> {
            Value v = in[0];
            if (v.type != Value.Type.FLOAT) {
                throw new IllegalArgumentException("an activation of " + v + "; jrnn runs them on float32");
            }
            float[] out = new float[v.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) f.applyAsDouble(v.floats[i]);
            }
            return new Value[] {Value.floats(v.shape, out)};
        };
    }

    // ---- dense ----

    /** numpy's matmul: 1-D operands promoted and the added axis dropped, leading axes broadcast. */
    static Value matmul(Value a, Value b, DenseKernels dense) {
        if (a.type != Value.Type.FLOAT || b.type != Value.Type.FLOAT || a.rank() == 0 || b.rank() == 0) {
            throw new IllegalArgumentException("MatMul of " + a + " and " + b + "; jrnn multiplies float32 tensors of rank >= 1");
        }
        Value x = a.rank() == 1 ? a.withShape(new int[] {1, a.shape[0]}) : a;
        Value y = b.rank() == 1 ? b.withShape(new int[] {b.shape[0], 1}) : b;
        int m = x.shape[x.rank() - 2], k = x.shape[x.rank() - 1], k2 = y.shape[y.rank() - 2], n = y.shape[y.rank() - 1];
        if (k != k2) {
            throw new IllegalArgumentException("MatMul of " + a + " and " + b + ": inner dimensions differ");
        }
        int[] batch = broadcast(Arrays.copyOf(x.shape, x.rank() - 2), Arrays.copyOf(y.shape, y.rank() - 2));
        int[] xs = concat(batch, new int[] {m, k}), ys = concat(batch, new int[] {k, n});
        float[] xf = (Arrays.equals(x.shape, xs) ? x : broadcastTo(x, xs)).floats;
        float[] yf = (Arrays.equals(y.shape, ys) ? y : broadcastTo(y, ys)).floats;
        int batches = (int) Value.size(batch);
        float[] out = new float[Math.toIntExact(Value.size(concat(batch, new int[] {m, n})))];
        for (int p = 0; p < batches; p++) {
            dense.gemm(false, false, m, n, k, 1f, xf, p * m * k, k, yf, p * k * n, n, 0f, out, p * m * n, n, null, 0);
        }
        java.util.List<Integer> shape = new java.util.ArrayList<>();
        for (int d : batch) {
            shape.add(d);
        }
        if (a.rank() > 1) { // a 1-D operand's added axis is dropped again
            shape.add(m);
        }
        if (b.rank() > 1) {
            shape.add(n);
        }
        return Value.floats(shape.stream().mapToInt(Integer::intValue).toArray(), out);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static Value gemm(Value a, Value b, Value c, float alpha, float beta, boolean transA, boolean transB, DenseKernels dense) {
        if (a.rank() != 2 || b.rank() != 2 || a.type != Value.Type.FLOAT || b.type != Value.Type.FLOAT) {
            throw new IllegalArgumentException("Gemm of " + a + " and " + b + "; it takes two float32 matrices");
        }
        int m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1];
        int k2 = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1];
        if (k != k2) {
            throw new IllegalArgumentException("Gemm of " + a + " and " + b + " (transA=" + transA + ", transB="
                    + transB + "): inner dimensions differ");
        }
        float[] out = new float[Math.toIntExact((long) m * n)];
        dense.gemm(transA, transB, m, n, k, alpha, a.floats, 0, transA ? m : k, b.floats, 0, transB ? k : n, 0f, out, 0, n, null, 0);
        Value bias = c == null ? null : broadcastTo(c, new int[] {m, n});
        for (int i = 0; i < out.length; i++) {
            out[i] += bias == null ? 0 : beta * bias.floats[i];
        }
        return Value.floats(new int[] {m, n}, out);
    }

    /**
     * Softmax (or its log) along {@code axis}; with {@code flatten} (before opset 13), over all the
     * axes from {@code axis} on, as one.
     */
    static Value softmax(Value v, long axisAttr, boolean flatten, boolean log) {
        if (v.type != Value.Type.FLOAT) {
            throw new IllegalArgumentException("Softmax of " + v);
        }
        int axis = axis(axisAttr, v.rank());
        int outer = 1, dim = 1, inner = 1;
        for (int k = 0; k < v.rank(); k++) {
            if (k < axis) {
                outer *= v.shape[k];
            } else if (k == axis || flatten) {
                dim *= v.shape[k];
            } else {
                inner *= v.shape[k];
            }
        }
        float[] out = new float[v.size()];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * dim * inner + i;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int d = 0; d < dim; d++) {
                    max = Math.max(max, v.floats[base + d * inner]);
                }
                for (int d = 0; d < dim; d++) {
                    sum += Math.exp(v.floats[base + d * inner] - max);
                }
                for (int d = 0; d < dim; d++) {
                    double z = v.floats[base + d * inner] - max;
                    out[base + d * inner] = (float) (log ? z - Math.log(sum) : Math.exp(z) / sum);
                }
            }
        }
        return Value.floats(v.shape, out);
    }
}

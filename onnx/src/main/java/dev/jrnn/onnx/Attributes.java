package dev.jrnn.onnx;

import dev.jrnn.onnx.proto.Onnx.AttributeProto;
import dev.jrnn.onnx.proto.Onnx.NodeProto;
import dev.jrnn.onnx.proto.Onnx.TensorProto;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's attributes, read by name. Every attribute must be read by the operator that compiles
 * the node: {@link #checkAllRead()} refuses the rest, so an attribute jrnn does not know can
 * never be ignored silently.
 */
final class Attributes {

    final String node, op;
    private final Map<String, AttributeProto> remaining = new LinkedHashMap<>();

    Attributes(NodeProto proto, String node) {
        this.node = node;
        this.op = proto.getOpType();
        for (AttributeProto a : proto.getAttributeList()) {
            if (!a.getRefAttrName().isEmpty()) {
                throw unsupported(a.getName(), "refers to a function's attribute; jrnn runs no functions");
            }
            remaining.put(a.getName(), a);
        }
    }

    UnsupportedOnnxException unsupported(String attribute, String why) {
        return new UnsupportedOnnxException(node, op, attribute, why);
    }

    boolean has(String name) {
        return remaining.containsKey(name);
    }

    private AttributeProto take(String name, AttributeProto.AttributeType type) {
        AttributeProto a = remaining.remove(name);
        if (a != null && a.getType() != type && a.getType() != AttributeProto.AttributeType.UNDEFINED) {
            throw unsupported(name, "is a " + a.getType() + ", expected a " + type);
        }
        return a;
    }

    long i(String name, long otherwise) {
        AttributeProto a = take(name, AttributeProto.AttributeType.INT);
        return a == null ? otherwise : a.getI();
    }

    /** An int attribute that must lie in {@code [min, max]}. */
    int i(String name, long otherwise, long min, long max) {
        long v = i(name, otherwise);
        if (v < min || v > max) {
            throw unsupported(name, "= " + v + "; jrnn runs " + (min == max ? "only " + min : min + " to " + max));
        }
        return (int) v;
    }

    Float f(String name) {
        AttributeProto a = take(name, AttributeProto.AttributeType.FLOAT);
        return a == null ? null : a.getF();
    }

    float f(String name, float otherwise) {
        Float v = f(name);
        return v == null ? otherwise : v;
    }

    String s(String name, String otherwise) {
        AttributeProto a = take(name, AttributeProto.AttributeType.STRING);
        return a == null ? otherwise : a.getS().toString(StandardCharsets.UTF_8);
    }

    /** The ints, or null when absent. */
    long[] ints(String name) {
        AttributeProto a = take(name, AttributeProto.AttributeType.INTS);
        return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    float[] floats(String name) {
        AttributeProto a = take(name, AttributeProto.AttributeType.FLOATS);
        if (a == null) {
            return null;
        }
        float[] out = new float[a.getFloatsCount()];
        for (int k = 0; k < out.length; k++) {
            out[k] = a.getFloats(k);
        }
        return out;
    }

    List<String> strings(String name) {
        AttributeProto a = take(name, AttributeProto.AttributeType.STRINGS);
        return a == null ? null : a.getStringsList().stream().map(b -> b.toString(StandardCharsets.UTF_8)).toList();
    }

    TensorProto t(String name) {
        AttributeProto a = take(name, AttributeProto.AttributeType.TENSOR);
        return a == null ? null : a.getT();
    }

    /** Refuses any attribute the operator did not read. */
    void checkAllRead() {
        if (!remaining.isEmpty()) {
            String name = remaining.keySet().iterator().next();
            throw unsupported(name, "is not one jrnn knows for " + op + "; refusing rather than ignoring it");
        }
    }
}

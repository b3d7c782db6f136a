package dev.jrnn.onnx;

/**
 * A graph that jrnn does not run as written: an operator it does not implement, or an attribute
 * (or input) value it does not honour. Thrown when the model is loaded, before anything runs, so
 * an unsupported model never gives an answer. The message names the node, the operator and the
 * attribute.
 */
public final class UnsupportedOnnxException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String node, operator, attribute;

    UnsupportedOnnxException(String node, String operator, String attribute, String why) {
        super("node '" + node + "' (" + operator + ")" + (attribute == null ? "" : ", attribute '" + attribute + "'")
                + ": " + why);
        this.node = node;
        this.operator = operator;
        this.attribute = attribute;
    }

    /** The same error with the model's file in front of the message. */
    UnsupportedOnnxException(String source, UnsupportedOnnxException e) {
        super(source + ": " + e.getMessage(), e);
        this.node = e.node;
        this.operator = e.operator;
        this.attribute = e.attribute;
    }

    /** The node's name (its operator and position when the graph leaves it unnamed). */
    public String node() {
        return node;
    }

    /** The operator, e.g. {@code GRU}; for another domain's, {@code domain:Operator}. */
    public String operator() {
        return operator;
    }

    /** The attribute (or input) whose value jrnn does not honour, or null when it is the operator itself. */
    public String attribute() {
        return attribute;
    }
}

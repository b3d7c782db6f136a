package dev.jrnn.onednn;

/** A oneDNN function returned a status other than success; names the function and the status. */
public final class DnnlException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String function;
    private final int status;

    DnnlException(String function, int status) {
        super(function + " failed: " + Dnnl.statusName(status));
        this.function = function;
        this.status = status;
    }

    /** The C function that failed, e.g. {@code dnnl_lstm_forward_primitive_desc_create}. */
    public String function() {
        return function;
    }

    /** Its {@code dnnl_status_t}. */
    public int status() {
        return status;
    }

    /** True when oneDNN has no implementation for the request (as opposed to a bad argument or no memory). */
    public boolean unimplemented() {
        return status == dnnl_h.dnnl_unimplemented;
    }
}

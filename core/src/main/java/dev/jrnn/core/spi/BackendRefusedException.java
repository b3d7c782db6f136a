package dev.jrnn.core.spi;

/**
 * A backend failed its {@linkplain SelfTest known-answer self-test} for a cell kind, direction and
 * mode on this machine, so it does not serve them in this process. The message names the backend,
 * the kind, the CPU, the library and the disagreement.
 */
public final class BackendRefusedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public BackendRefusedException(String message) {
        super(message);
    }
}

package dev.jrnn.core.rnn;

/** Whether each layer reads the sequence left to right only, or both ways with the outputs concatenated. */
public enum Direction {
    UNIDIRECTIONAL(1),
    BIDIRECTIONAL(2);

    private final int count;

    Direction(int count) {
        this.count = count;
    }

    /** D: the number of directions. */
    public int count() {
        return count;
    }
}

package dev.jrnn.examples.service;

/** Writing the service's answers as JSON (reading requests is {@link RequestJson}'s). */
final class Json {

    private Json() {
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** {@code values} as a JSON array; NaN and infinities, which JSON lacks, as null. */
    static StringBuilder floats(StringBuilder out, float[] values) {
        out.append('[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                out.append(", ");
            }
            out.append(Float.isFinite(values[i]) ? Float.toString(values[i]) : "null");
        }
        return out.append(']');
    }

    static StringBuilder ints(StringBuilder out, int[] values) {
        out.append('[');
        for (int i = 0; i < values.length; i++) {
            out.append(i > 0 ? ", " : "").append(values[i]);
        }
        return out.append(']');
    }
}

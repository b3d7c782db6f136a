package dev.jrnn.examples.service;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict reader of request bodies: JSON objects, strings, numbers, true, false and null, and
 * arrays of numbers, nested to any rectangular shape, which become {@link Numbers} (a shape and
 * the values in row-major order, 8 bytes each: a body's numbers never cost more than a few times
 * its size). Arrays of anything else are refused: no request needs them. Every error is an
 * {@link IllegalArgumentException} naming the offset and what was expected.
 */
final class RequestJson {

    /** A rectangular array of numbers: {@code shape} (its nesting) and the values in row-major order. */
    record Numbers(int[] shape, double[] values) {
        @Override
        public String toString() {
            return "an array of shape " + Arrays.toString(shape);
        }
    }

    private static final int MAX_DEPTH = 8;

    private final String text;
    private int at;

    private RequestJson(String text) {
        this.text = text;
    }

    /** The one value {@code text} holds. */
    static Object parse(String text) {
        RequestJson json = new RequestJson(text);
        Object value = json.value(0);
        json.space();
        if (json.at != text.length()) {
            throw json.error("the end after the value");
        }
        return value;
    }

    private IllegalArgumentException error(String expected) {
        String found = at >= text.length() ? "the end" : "'" + text.charAt(at) + "'";
        return new IllegalArgumentException("malformed JSON at offset " + at + ": expected " + expected + ", found " + found);
    }

    private void space() {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("malformed JSON at offset " + at + ": nested deeper than " + MAX_DEPTH);
        }
        space();
        if (at >= text.length()) {
            throw error("a value");
        }
        char c = text.charAt(at);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> numbers(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, at)) {
            throw error(word);
        }
        at += word.length();
        return value;
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> map = new LinkedHashMap<>();
        at++;
        space();
        if (at < text.length() && text.charAt(at) == '}') {
            at++;
            return map;
        }
        while (true) {
            space();
            if (at >= text.length() || text.charAt(at) != '"') {
                throw error("a key in quotes");
            }
            int keyAt = at;
            String key = string();
            space();
            expect(':');
            if (map.containsKey(key)) {
                throw new IllegalArgumentException("malformed JSON at offset " + keyAt + ": key \"" + key + "\" twice");
            }
            map.put(key, value(depth + 1));
            space();
            if (at < text.length() && text.charAt(at) == ',') {
                at++;
            } else {
                expect('}');
                return map;
            }
        }
    }

    private void expect(char c) {
        if (at >= text.length() || text.charAt(at) != c) {
            throw error("'" + c + "'");
        }
        at++;
    }

    private String string() {
        StringBuilder s = new StringBuilder();
        at++;
        while (true) {
            if (at >= text.length()) {
                throw error("the closing '\"'");
            }
            char c = text.charAt(at++);
            if (c == '"') {
                return s.toString();
            }
            if (c == '\\') {
                if (at >= text.length()) {
                    throw error("an escaped character");
                }
                char e = text.charAt(at++);
                switch (e) {
                    case '"', '\\', '/' -> s.append(e);
                    case 'n' -> s.append('\n');
                    case 't' -> s.append('\t');
                    case 'r' -> s.append('\r');
                    case 'b' -> s.append('\b');
                    case 'f' -> s.append('\f');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw error("four hexadecimal digits");
                        }
                        try {
                            s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("four hexadecimal digits");
                        }
                        at += 4;
                    }
                    default -> {
                        at--;
                        throw error("an escape (\\\" \\\\ \\/ \\n \\t \\r \\b \\f \\uXXXX)");
                    }
                }
            } else if (c < 0x20) {
                at--;
                throw error("no control character in a string");
            } else {
                s.append(c);
            }
        }
    }

    private double number() {
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        if (start == at) {
            throw error("a value");
        }
        try {
            double v = Double.parseDouble(text.substring(start, at));
            if (!Double.isFinite(v)) {
                at = start;
                throw error("a finite number");
            }
            return v;
        } catch (NumberFormatException e) {
            at = start;
            throw error("a number");
        }
    }

    /** An array of numbers or of arrays of one shape: its shape and values. */
    private Numbers numbers(int depth) {
        Growing values = new Growing();
        int[] shape = shapeOf(depth, values);
        return new Numbers(shape, values.toArray());
    }

    /** Reads the array at {@code at} into {@code values}; returns its shape. */
    private int[] shapeOf(int depth, Growing values) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("malformed JSON at offset " + at + ": nested deeper than " + MAX_DEPTH);
        }
        at++;
        space();
        int[] inner = null;
        int count = 0;
        if (at < text.length() && text.charAt(at) == ']') {
            at++;
            return new int[] {0};
        }
        while (true) {
            space();
            int elementAt = at;
            int[] shape;
            if (at < text.length() && text.charAt(at) == '[') {
                shape = shapeOf(depth + 1, values);
            } else if (at < text.length() && "+-0123456789".indexOf(text.charAt(at)) >= 0) {
                values.add(number());
                shape = new int[0];
            } else {
                throw error("a number or an array of numbers (arrays hold numbers only)");
            }
            if (inner == null) {
                inner = shape;
            } else if (!Arrays.equals(inner, shape)) {
                throw new IllegalArgumentException("malformed request at offset " + elementAt + ": element " + count
                        + " has shape " + Arrays.toString(shape) + ", the first " + Arrays.toString(inner) + " (arrays must be rectangular)");
            }
            count++;
            space();
            if (at < text.length() && text.charAt(at) == ',') {
                at++;
            } else {
                expect(']');
                int[] out = new int[inner.length + 1];
                out[0] = count;
                System.arraycopy(inner, 0, out, 1, inner.length);
                return out;
            }
        }
    }

    /** A growing double array (the body's size bounds it). */
    private static final class Growing {
        private double[] data = new double[64];
        private int size;

        void add(double v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        double[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}

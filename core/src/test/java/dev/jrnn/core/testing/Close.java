package dev.jrnn.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.Arrays;
import java.util.Locale;

/** Element-wise closeness assertions that report the worst element. */
public final class Close {

    private Close() {
    }

    /** Asserts {@code |actual - expected| <= atol + rtol * |expected|} for every element, in row-major order. */
    public static void assertClose(String what, double[] expected, FloatTensor actual, double atol, double rtol) {
        if (expected.length != actual.size()) {
            fail(what + ": expected " + expected.length + " elements, got " + actual.size() + " " + actual.shape());
        }
        double[] got = new double[expected.length];
        for (int i = 0; i < got.length; i++) {
            got[i] = actual.getFlat(i);
        }
        assertClose(what, expected, got, atol, rtol, actual);
    }

    public static void assertClose(String what, FloatTensor expected, FloatTensor actual, double atol, double rtol) {
        if (!expected.shape().equals(actual.shape())) {
            fail(what + ": expected shape " + expected.shape() + " but was " + actual.shape());
        }
        double[] want = new double[Math.toIntExact(expected.size())];
        for (int i = 0; i < want.length; i++) {
            want[i] = expected.getFlat(i);
        }
        assertClose(what, want, actual, atol, rtol);
    }

    public static void assertClose(String what, double[] expected, double[] actual, double atol, double rtol) {
        assertClose(what, expected, actual, atol, rtol, null);
    }

    private static void assertClose(String what, double[] expected, double[] actual, double atol, double rtol,
                                    FloatTensor shapeOf) {
        if (expected.length != actual.length) {
            fail(what + ": expected " + expected.length + " elements, got " + actual.length);
        }
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.length; i++) {
            double excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
            if (!(excess <= worstExcess)) { // NaN counts as a failure
                worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            String at = shapeOf == null ? "[" + worst + "]" : Arrays.toString(shapeOf.coordinates(worst));
            fail(String.format(Locale.ROOT, "%s: at %s expected %.9g but was %.9g (|diff| %.3g > atol %.1g + rtol %.1g * |expected|)",
                    what, at, expected[worst], actual[worst], Math.abs(actual[worst] - expected[worst]), atol, rtol));
        }
    }
}

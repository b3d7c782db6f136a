package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.models.nn.Parameter;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/** Analytic gradients against central differences of the loss, on a few random elements of every parameter. */
final class GradientCheck {

    private GradientCheck() {
    }

    /**
     * For {@code trials} random elements of each parameter, asserts that the gradient left by the
     * last backward pass equals {@code (loss(w + eps) - loss(w - eps)) / 2 eps} within
     * {@code absolute + relative * |numeric|}. {@code loss} must be a forward pass only.
     */
    static void assertMatches(List<Parameter> parameters, DoubleSupplier loss, double eps, double absolute,
                              double relative, int trials, String what) {
        SplittableRandom pick = new SplittableRandom(3);
        for (Parameter p : parameters) {
            for (int trial = 0; trial < trials; trial++) {
                int i = pick.nextInt(p.size());
                float saved = p.values()[i];
                p.values()[i] = (float) (saved + eps);
                p.changed();
                double plus = loss.getAsDouble();
                p.values()[i] = (float) (saved - eps);
                p.changed();
                double minus = loss.getAsDouble();
                p.values()[i] = saved;
                p.changed();
                double numeric = (plus - minus) / (2 * eps);
                assertEquals(numeric, p.grads()[i], absolute + relative * Math.abs(numeric), what + " " + p.name() + "[" + i + "]");
            }
        }
    }
}

package dev.jrnn.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Linear and the fused loss against finite differences; optimizers against their update rules worked by hand. */
class TrainingPartsTest {

    @Test
    void linearAndCrossEntropyGradientsMatchFiniteDifferences() {
        Linear linear = new Linear(5, 3, 1);
        FloatTensor x = FloatTensor.of(new float[] {0.5f, -1, 2, 0.1f, 0.3f, -0.7f, 0.2f, 0.9f, -1.5f, 1}, 2, 5);
        int[] targets = {2, 0};
        Losses.Loss loss = Losses.softmaxCrossEntropy(linear.forward(x), targets, -1);
        FloatTensor dx = linear.backward(loss.gradient());
        float[] w = linear.weight().values();
        double eps = 1e-3;
        for (int i = 0; i < w.length; i++) {
            float saved = w[i];
            w[i] = (float) (saved + eps);
            linear.weight().changed();
            double plus = Losses.softmaxCrossEntropy(linear.forward(x), targets, -1).value();
            w[i] = (float) (saved - eps);
            linear.weight().changed();
            double minus = Losses.softmaxCrossEntropy(linear.forward(x), targets, -1).value();
            w[i] = saved;
            linear.weight().changed();
            assertEquals((plus - minus) / (2 * eps), linear.weight().grads()[i], 2e-3, "dW " + i);
        }
        float[] xs = x.toArray();
        for (int i = 0; i < xs.length; i++) {
            float[] p = xs.clone(), m = xs.clone();
            p[i] += (float) eps;
            m[i] -= (float) eps;
            double plus = Losses.softmaxCrossEntropy(linear.forward(FloatTensor.of(p, 2, 5)), targets, -1).value();
            double minus = Losses.softmaxCrossEntropy(linear.forward(FloatTensor.of(m, 2, 5)), targets, -1).value();
            assertEquals((plus - minus) / (2 * eps), dx.getFlat(i), 2e-3, "dx " + i);
        }
    }

    @Test
    void ignoredRowsNeitherCountNorGetGradient() {
        FloatTensor logits = FloatTensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Losses.Loss both = Losses.softmaxCrossEntropy(logits, new int[] {0, 1}, -1);
        Losses.Loss first = Losses.softmaxCrossEntropy(logits, new int[] {0, -1}, -1);
        assertEquals(Math.log(1 + Math.E), first.value(), 1e-6);
        assertEquals(0f, first.gradient().get(1, 0));
        assertEquals((Math.log(1 + Math.E) + Math.log(1 + 1 / Math.E)) / 2, both.value(), 1e-6);
    }

    @Test
    void sgdWithMomentumAdamAndAdamWFollowTheirRules() {
        Parameter p = new Parameter("p", 2);
        p.values()[0] = 1;
        p.values()[1] = -2;
        Optimizer sgd = Optimizer.sgd(List.of(p), 0.1, 0.9);
        p.grads()[0] = 1;
        p.grads()[1] = 2;
        sgd.step(); // v = g; w -= 0.1 v
        sgd.step(); // v = 0.9 v + g = 1.9 g; w -= 0.1 v
        assertArrayEquals(new float[] {1 - 0.1f - 0.19f, -2 - 0.2f - 0.38f}, p.values(), 1e-6f);
        assertEquals(2, p.version());

        Parameter q = new Parameter("q", 2);
        q.values()[0] = 1;
        q.values()[1] = 1;
        q.grads()[0] = 0.5f;
        q.grads()[1] = -4;
        Optimizer.adam(List.of(q), 0.01).step(); // first step: w -= lr * g / (|g| + eps)
        assertArrayEquals(new float[] {0.99f, 1.01f}, q.values(), 1e-6f);

        Parameter r = new Parameter("r", 1);
        r.values()[0] = 2;
        Optimizer.adamW(List.of(r), 0.01, 0.1).step(); // zero gradient: only the decoupled decay
        assertEquals(2 - 0.01f * 0.1f * 2, r.values()[0], 1e-7);
    }

    @Test
    void clippingScalesAllGradientsToTheGlobalNorm() {
        Parameter a = new Parameter("a", 1), b = new Parameter("b", 1);
        a.grads()[0] = 3;
        b.grads()[0] = 4;
        assertEquals(5, Optimizer.clipGradNorm(List.of(a, b), 1), 1e-9);
        assertEquals(0.6f, a.grads()[0], 1e-5);
        assertEquals(0.8f, b.grads()[0], 1e-5);
        assertEquals(1, Optimizer.clipGradNorm(List.of(a, b), 10), 1e-5); // under the limit: unchanged
        assertEquals(0.6f, a.grads()[0], 1e-5);
    }
}

package dev.jrnn.apps.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CartPoleTest {

    private static double[] run(double[] state, double[] gains, int steps) {
        double[] next = new double[4];
        for (int t = 0; t < steps && CartPole.upright(state); t++) {
            double u = 0;
            for (int i = 0; i < 4; i++) {
                u -= gains[i] * state[i];
            }
            CartPole.step(state, u, next);
            System.arraycopy(next, 0, state, 0, 4);
        }
        return state;
    }

    @Test
    void aLeaningPoleFallsWithoutControl() {
        double[] s = run(new double[] {0, 0, 0.01, 0}, new double[4], 500);
        assertFalse(CartPole.upright(s), "a pole leaning 0.01 rad stays up for 10 s with no force");
        assertTrue(s[2] > 0, "it falls the way it leaned");
    }

    @Test
    void pushingTheCartRightTipsThePoleLeft() {
        double[] next = new double[4];
        CartPole.step(new double[4], 10, next);
        assertTrue(next[1] > 0 && next[3] < 0, "cart velocity " + next[1] + ", pole angular velocity " + next[3]);
    }

    @Test
    void theRegulatorBringsTheSystemToRestFromAPerturbedState() {
        double[] s = run(new double[] {0.5, -0.3, 0.1, 0.3}, CartPole.lqrGains(), 1000);
        assertTrue(CartPole.upright(s));
        for (double v : s) {
            assertEquals(0, v, 1e-3, "after 20 s the state is at rest: " + java.util.Arrays.toString(s));
        }
    }
}

package dev.jrnn.apps.control;

/**
 * A pole balanced on a cart: the classic control benchmark (Barto, Sutton and Anderson, 1983), with
 * the corrected equations of motion (Florian, 2007) integrated by semi-implicit Euler at 50 Hz. A
 * simulation, said as such: no robot data exists in the registries this project reaches.
 * <p>
 * State {@code [x, x', theta, theta']}: cart position (m) and velocity, pole angle from upright
 * (rad) and angular velocity. The force on the cart is clipped to {@link #MAX_FORCE}. An episode
 * fails when the pole leans past {@link #MAX_ANGLE} or the cart leaves the track ({@link #MAX_POSITION}).
 */
public final class CartPole {

    public static final double GRAVITY = 9.8, CART_MASS = 1.0, POLE_MASS = 0.1, HALF_LENGTH = 0.5, DT = 0.02;
    public static final double MAX_FORCE = 10, MAX_ANGLE = 12 * Math.PI / 180, MAX_POSITION = 2.4;

    private CartPole() {
    }

    /** The state one step ({@link #DT}) after {@code s} under {@code force} (clipped), written into {@code next}. */
    public static void step(double[] s, double force, double[] next) {
        double f = Math.max(-MAX_FORCE, Math.min(MAX_FORCE, force));
        double x = s[0], v = s[1], theta = s[2], omega = s[3];
        double sin = Math.sin(theta), cos = Math.cos(theta), total = CART_MASS + POLE_MASS;
        double temp = (f + POLE_MASS * HALF_LENGTH * omega * omega * sin) / total;
        double alpha = (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4.0 / 3 - POLE_MASS * cos * cos / total));
        double a = temp - POLE_MASS * HALF_LENGTH * alpha * cos / total;
        next[1] = v + DT * a;
        next[0] = x + DT * next[1];
        next[3] = omega + DT * alpha;
        next[2] = theta + DT * next[3];
    }

    /** Whether the pole is up and the cart on the track. */
    public static boolean upright(double[] s) {
        return Math.abs(s[2]) <= MAX_ANGLE && Math.abs(s[0]) <= MAX_POSITION;
    }

    /**
     * The expert: the linear-quadratic regulator of the system linearized at the upright rest state
     * ({@code u = -K s}), which sees the whole state. {@code K} comes from iterating the discrete
     * Riccati equation with costs {@code Q = diag(1, 1, 10, 1)} and {@code R = 0.1}.
     */
    public static double[] lqrGains() {
        int n = 4;
        double[][] a = new double[n][n];
        double[] b = new double[n];
        double eps = 1e-6;
        double[] zero = new double[n], plus = new double[n], minus = new double[n];
        for (int j = 0; j < n; j++) { // A and B by central differences of one step at rest
            double[] s = zero.clone();
            s[j] = eps;
            step(s, 0, plus);
            s[j] = -eps;
            step(s, 0, minus);
            for (int i = 0; i < n; i++) {
                a[i][j] = (plus[i] - minus[i]) / (2 * eps);
            }
        }
        step(zero, eps, plus);
        step(zero, -eps, minus);
        for (int i = 0; i < n; i++) {
            b[i] = (plus[i] - minus[i]) / (2 * eps);
        }
        double[] q = {1, 1, 10, 1};
        double r = 0.1;
        double[][] p = new double[n][n];
        for (int i = 0; i < n; i++) {
            p[i][i] = q[i];
        }
        double[] k = new double[n], previous = new double[n];
        for (int iteration = 0; iteration < 100_000; iteration++) {
            double[] pb = multiply(p, b);
            double scale = r + dot(b, pb);
            double[] bpa = new double[n]; // B'PA
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < n; i++) {
                    bpa[j] += pb[i] * a[i][j];
                }
            }
            for (int j = 0; j < n; j++) {
                k[j] = bpa[j] / scale;
            }
            double[][] next = new double[n][n]; // Q + A'PA - A'PB K
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double apa = 0;
                    for (int u = 0; u < n; u++) {
                        for (int w = 0; w < n; w++) {
                            apa += a[u][i] * p[u][w] * a[w][j];
                        }
                    }
                    next[i][j] = (i == j ? q[i] : 0) + apa - bpa[i] * k[j];
                }
            }
            for (int i = 0; i < n; i++) { // kept exactly symmetric: rounding would otherwise wake the unstable mode
                for (int j = 0; j < i; j++) {
                    next[i][j] = next[j][i] = (next[i][j] + next[j][i]) / 2;
                }
            }
            p = next;
            double change = 0, size = 0;
            for (int j = 0; j < n; j++) {
                change = Math.max(change, Math.abs(k[j] - previous[j]));
                size = Math.max(size, Math.abs(k[j]));
            }
            if (iteration > 0 && change <= 1e-12 * size) {
                return k;
            }
            previous = k.clone();
        }
        throw new IllegalStateException("the Riccati iteration did not converge");
    }

    private static double[] multiply(double[][] m, double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = dot(m[i], v);
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}

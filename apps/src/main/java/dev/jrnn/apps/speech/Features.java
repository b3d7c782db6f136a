package dev.jrnn.apps.speech;

/**
 * Speech features of a 16 kHz mono signal, the usual front end of a recognizer: frames of 25 ms
 * every 10 ms, pre-emphasized and Hamming-windowed, their power spectrum (a 512-point FFT) pooled
 * by triangular filters equally spaced on the mel scale (how pitch is heard: linear below about
 * 1 kHz, logarithmic above), then the logarithm; optionally a DCT of the log energies (MFCCs),
 * which decorrelates them and keeps the spectral envelope in a few coefficients.
 */
public final class Features {

    public static final int SAMPLE_RATE = 16_000;
    /** 25 ms windows every 10 ms, zero-padded to a 512-point FFT. */
    static final int WINDOW = 400, HOP = 160, FFT_SIZE = 512;
    private static final double PRE_EMPHASIS = 0.97, LOW_HZ = 20, FLOOR = 1e-10;

    private final int bands, coefficients;
    private final double[][] filters;
    private final double[] window = new double[WINDOW];

    /**
     * Features of {@code bands} mel bands; {@code coefficients} > 0 keeps that many MFCCs (the
     * DCT of the log energies), 0 keeps the log energies themselves.
     */
    public Features(int bands, int coefficients) {
        if (bands < 2 || coefficients < 0 || coefficients > bands) {
            throw new IllegalArgumentException("need at least 2 mel bands and 0 to " + bands + " coefficients, got "
                    + bands + " and " + coefficients);
        }
        this.bands = bands;
        this.coefficients = coefficients;
        filters = melFilters(bands, FFT_SIZE, SAMPLE_RATE, LOW_HZ, SAMPLE_RATE / 2.0);
        for (int i = 0; i < WINDOW; i++) {
            window[i] = 0.54 - 0.46 * Math.cos(2 * Math.PI * i / (WINDOW - 1));
        }
    }

    /** Values per frame: the coefficients, or the bands when there are none. */
    public int size() {
        return coefficients > 0 ? coefficients : bands;
    }

    /** {@code [frames][size()]} for {@code signal} (at least one frame; a short signal is zero-padded). */
    public float[][] of(float[] signal) {
        return of(signal, 1);
    }

    /**
     * {@link #of(float[])} with the frequency axis stretched by {@code warp} (the energy at {@code f}
     * Hz moved to {@code warp * f}): a longer or shorter vocal tract, the same word
     * (vocal tract length perturbation, Jaitly and Hinton 2013), to train on voices not in the data.
     */
    public float[][] of(float[] signal, double warp) {
        int frames = signal.length <= WINDOW ? 1 : 1 + (signal.length - WINDOW) / HOP;
        float[][] out = new float[frames][];
        double[] re = new double[FFT_SIZE], im = new double[FFT_SIZE], power = new double[FFT_SIZE / 2 + 1];
        for (int f = 0; f < frames; f++) {
            java.util.Arrays.fill(re, 0);
            java.util.Arrays.fill(im, 0);
            for (int i = 0; i < WINDOW; i++) {
                int at = f * HOP + i;
                double sample = at < signal.length ? signal[at] : 0;
                double previous = at - 1 >= 0 && at - 1 < signal.length ? signal[at - 1] : 0;
                re[i] = (sample - PRE_EMPHASIS * previous) * window[i]; // pre-emphasis lifts the weak high formants
            }
            fft(re, im);
            for (int k = 0; k < power.length; k++) {
                power[k] = re[k] * re[k] + im[k] * im[k];
            }
            double[] logMel = logMel(warp == 1 ? power : warped(power, warp));
            out[f] = toFloat(coefficients > 0 ? dct(logMel, coefficients) : logMel);
        }
        return out;
    }

    /** The log of each mel band's energy in a power spectrum of {@code FFT_SIZE / 2 + 1} bins. */
    double[] logMel(double[] power) {
        double[] out = new double[bands];
        for (int b = 0; b < bands; b++) {
            double energy = 0;
            for (int k = 0; k < power.length; k++) {
                energy += filters[b][k] * power[k];
            }
            out[b] = Math.log(Math.max(energy, FLOOR)); // the floor keeps digital silence finite
        }
        return out;
    }

    /** {@code p'[k] = p[k / warp]}, linearly interpolated, zero past the end. */
    static double[] warped(double[] power, double warp) {
        double[] out = new double[power.length];
        for (int k = 0; k < power.length; k++) {
            double at = k / warp;
            int i = (int) at;
            double w = at - i;
            out[k] = i + 1 < power.length ? (1 - w) * power[i] + w * power[i + 1] : i < power.length ? power[i] : 0;
        }
        return out;
    }

    private static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    /** In-place radix-2 FFT, {@code X[k] = sum_n x[n] e^(-2 pi i k n / N)}; the length must be a power of two. */
    static void fft(double[] re, double[] im) {
        int n = re.length;
        if (Integer.bitCount(n) != 1 || im.length != n) {
            throw new IllegalArgumentException("FFT length must be a power of two, got " + n);
        }
        for (int i = 1, j = 0; i < n; i++) { // bit-reversal permutation
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) {
                j ^= bit;
            }
            j |= bit;
            if (i < j) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        for (int length = 2; length <= n; length <<= 1) { // butterflies
            double angle = -2 * Math.PI / length;
            for (int start = 0; start < n; start += length) {
                for (int k = 0; k < length / 2; k++) {
                    double wr = Math.cos(angle * k), wi = Math.sin(angle * k);
                    int a = start + k, b = a + length / 2;
                    double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }

    static double mel(double hz) {
        return 2595 * Math.log10(1 + hz / 700);
    }

    static double hz(double mel) {
        return 700 * (Math.pow(10, mel / 2595) - 1);
    }

    /**
     * {@code [bands][fftSize / 2 + 1]} triangular filters whose peaks are equally spaced in mel
     * between {@code low} and {@code high} Hz; each rises from the previous band's centre to its
     * own and falls to the next one's.
     */
    static double[][] melFilters(int bands, int fftSize, int sampleRate, double low, double high) {
        double[] edges = new double[bands + 2]; // in Hz: band b spans edges[b]..edges[b + 2], peaks at edges[b + 1]
        for (int i = 0; i < edges.length; i++) {
            edges[i] = hz(mel(low) + (mel(high) - mel(low)) * i / (bands + 1));
        }
        double[][] out = new double[bands][fftSize / 2 + 1];
        for (int b = 0; b < bands; b++) {
            for (int k = 0; k <= fftSize / 2; k++) {
                double f = k * (double) sampleRate / fftSize;
                double rise = (f - edges[b]) / (edges[b + 1] - edges[b]), fall = (edges[b + 2] - f) / (edges[b + 2] - edges[b + 1]);
                out[b][k] = Math.max(0, Math.min(rise, fall));
            }
        }
        return out;
    }

    /** The first {@code count} coefficients of the orthonormal DCT-II of {@code x}. */
    static double[] dct(double[] x, int count) {
        int n = x.length;
        double[] out = new double[count];
        for (int k = 0; k < count; k++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += x[i] * Math.cos(Math.PI * k * (2 * i + 1) / (2.0 * n));
            }
            out[k] = sum * Math.sqrt((k == 0 ? 1.0 : 2.0) / n);
        }
        return out;
    }

    /** The centre frequency in Hz of each band, for tests and labels. */
    double[] centres() {
        double[] out = new double[bands];
        for (int b = 0; b < bands; b++) {
            out[b] = hz(mel(LOW_HZ) + (mel(SAMPLE_RATE / 2.0) - mel(LOW_HZ)) * (b + 1) / (bands + 1));
        }
        return out;
    }
}

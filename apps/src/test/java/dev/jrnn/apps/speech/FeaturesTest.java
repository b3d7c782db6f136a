package dev.jrnn.apps.speech;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The speech front end against computations that can disagree with it: a direct DFT, Parseval, pure tones. */
class FeaturesTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 8, 64, 512})
    void fftIsTheDirectDftAndKeepsTheEnergy(int n) {
        SplittableRandom random = new SplittableRandom(n);
        double[] re = new double[n], im = new double[n], xr = new double[n], xi = new double[n];
        double timeEnergy = 0;
        for (int i = 0; i < n; i++) {
            re[i] = xr[i] = random.nextGaussian();
            im[i] = xi[i] = random.nextGaussian();
            timeEnergy += re[i] * re[i] + im[i] * im[i];
        }
        Features.fft(re, im);
        double frequencyEnergy = 0;
        for (int k = 0; k < n; k++) {
            double sr = 0, si = 0;
            for (int t = 0; t < n; t++) { // X[k] = sum x[t] e^(-2 pi i k t / n)
                double a = -2 * Math.PI * k * t / n;
                sr += xr[t] * Math.cos(a) - xi[t] * Math.sin(a);
                si += xr[t] * Math.sin(a) + xi[t] * Math.cos(a);
            }
            assertEquals(sr, re[k], 1e-9 * n, "re X[" + k + "]");
            assertEquals(si, im[k], 1e-9 * n, "im X[" + k + "]");
            frequencyEnergy += re[k] * re[k] + im[k] * im[k];
        }
        assertEquals(timeEnergy, frequencyEnergy / n, 1e-9 * timeEnergy, "Parseval: sum |x|^2 = sum |X|^2 / N");
    }

    @Test
    void fftRefusesLengthsThatAreNotPowersOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> Features.fft(new double[6], new double[6]));
    }

    @ParameterizedTest
    @ValueSource(doubles = {300, 1000, 2500, 6000})
    void aPureToneLandsInTheMelBandCentredNearIt(double hz) {
        Features f = new Features(40, 0);
        float[] tone = new float[Features.SAMPLE_RATE / 2];
        for (int i = 0; i < tone.length; i++) {
            tone[i] = (float) (0.5 * Math.sin(2 * Math.PI * hz * i / Features.SAMPLE_RATE));
        }
        float[][] frames = f.of(tone);
        assertEquals(1 + (tone.length - Features.WINDOW) / Features.HOP, frames.length, "25 ms frames every 10 ms");
        double[] centres = f.centres();
        int nearest = 0;
        for (int b = 1; b < centres.length; b++) {
            nearest = Math.abs(centres[b] - hz) < Math.abs(centres[nearest] - hz) ? b : nearest;
        }
        float[] middle = frames[frames.length / 2];
        int loudest = 0;
        for (int b = 1; b < middle.length; b++) {
            loudest = middle[b] > middle[loudest] ? b : loudest;
        }
        assertTrue(Math.abs(loudest - nearest) <= 1, hz + " Hz: loudest band " + loudest + " (centre " + centres[loudest]
                + " Hz), nearest centre band " + nearest);
        assertTrue(middle[loudest] - middle[(loudest + 20) % 40] > 5, "a tone is far louder in its band than 20 bands away (log energy)");
    }

    @Test
    void melFiltersArePeakedTrianglesThatTileTheSpectrum() {
        double[][] filters = Features.melFilters(10, 512, 16_000, 20, 8000);
        for (double[] filter : filters) {
            double peak = 0;
            for (double v : filter) {
                assertTrue(v >= 0 && v <= 1);
                peak = Math.max(peak, v);
            }
            assertTrue(peak > 0.5, "every band catches at least one FFT bin near its centre");
        }
        // between the first and last centre, neighbouring triangles sum to 1 (rise of one = 1 - fall of the other)
        for (int k = 20; k < 200; k++) {
            double sum = 0;
            for (double[] filter : filters) {
                sum += filter[k];
            }
            assertEquals(1, sum, 1e-9, "bin " + k);
        }
        assertEquals(1000, Features.hz(Features.mel(1000)), 1e-9);
        assertEquals(1000, Features.mel(1000), 0.5, "1000 Hz is about 1000 mel");
    }

    @Test
    void dctIsOrthonormalAndConcentratesAFlatSpectrumInTheFirstCoefficient() {
        double[] flat = {2, 2, 2, 2, 2, 2, 2, 2};
        double[] c = Features.dct(flat, 8);
        assertEquals(2 * Math.sqrt(8), c[0], 1e-12);
        for (int k = 1; k < 8; k++) {
            assertEquals(0, c[k], 1e-12);
        }
        double[] x = {0.3, -1, 2.5, 0, 4, -2, 1, 0.5};
        double energy = 0, coefficientEnergy = 0;
        for (double v : x) {
            energy += v * v;
        }
        for (double v : Features.dct(x, 8)) {
            coefficientEnergy += v * v;
        }
        assertEquals(energy, coefficientEnergy, 1e-9, "an orthonormal transform keeps the energy");
        assertEquals(13, new Features(40, 13).size());
        assertEquals(13, new Features(40, 13).of(new float[1000])[0].length);
    }

    @Test
    void readsAWavAndTrimsItsSilence() throws IOException {
        short[] samples = new short[4000];
        for (int i = 1500; i < 2500; i++) {
            samples[i] = (short) (10000 * Math.sin(i * 0.3));
        }
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * samples.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 2 * samples.length).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1).putInt(16_000).putInt(32_000)
                .putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes()).putInt(2 * samples.length);
        for (short s : samples) {
            b.putShort(s);
        }
        float[] x = SpokenDigits.readWav(b.array());
        assertEquals(4000, x.length);
        assertEquals(samples[1600] / 32768f, x[1600]);
        float[] word = SpokenDigits.trim(x);
        int first = 1500;
        while (Math.abs(samples[first]) <= 0.01 * 10000) {
            first++;
        }
        assertEquals(samples[first] / 32768f, word[160], "10 ms kept before the first loud sample");
        assertTrue(word.length < 1000 + 2 * 160 + 1 && word.length > 900, "silence cut: " + word.length);
        b.putInt(24, 22_050); // another sample rate
        assertThrows(IOException.class, () -> SpokenDigits.readWav(b.array()));
    }

    @Test
    void noiseComesAtTheAskedSignalToNoiseRatio() {
        float[] x = new float[4000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.1);
        }
        float[] y = SpokenDigits.noisy(x, 20, new SplittableRandom(3)); // 20-40 dB
        assertTrue(y.length >= x.length && y.length <= x.length + 3200, "up to 100 ms of padding each side");
        assertArrayEquals(y, SpokenDigits.noisy(x, 20, new SplittableRandom(3)), "seeded");
        double noise = Double.MAX_VALUE;
        for (int offset = 0; offset <= y.length - x.length; offset++) { // where the clip sits: the least difference
            double d = 0;
            for (int i = 0; i < x.length; i++) {
                d += (y[offset + i] - x[i]) * (double) (y[offset + i] - x[i]);
            }
            noise = Math.min(noise, d);
        }
        double snr = 10 * Math.log10(0.5 * x.length / noise);
        assertTrue(snr >= 19.5 && snr <= 40.5, "SNR " + snr);
    }
}

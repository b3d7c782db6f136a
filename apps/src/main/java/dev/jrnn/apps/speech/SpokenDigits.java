package dev.jrnn.apps.speech;

import dev.jrnn.apps.data.NpmPackage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Spoken digits synthesized by espeak-ng (speech from a formant synthesizer, not recordings):
 * "zero" to "nine" in an accent ({@code en-us}, {@code en-gb-scotland}, ...) with a voice variant
 * ({@code m3}, {@code f2}, ...) at a speed and pitch, resampled by sox to 16 kHz mono 16-bit. Each
 * clip is made once and kept in jrnn's cache ({@code ~/.cache/jrnn/data/espeak-digits}, written
 * atomically); espeak-ng gives the same bytes for the same settings.
 */
public final class SpokenDigits {

    public static final List<String> WORDS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");
    private static final String MISSING = "needs espeak-ng and sox (Debian: apt-get install espeak-ng sox)";

    private SpokenDigits() {
    }

    /** One utterance of {@code digit} by the voice {@code accent+variant}. */
    public record Clip(String accent, String variant, int digit, int speed, int pitch) {
        String voice() {
            return accent + "+" + variant;
        }

        Path file() {
            return NpmPackage.cacheRoot().resolve("espeak-digits").resolve(voice())
                    .resolve(WORDS.get(digit) + "-s" + speed + "-p" + pitch + ".wav");
        }
    }

    /**
     * {@code takes} clips of every digit for every accent and variant, each at its own speed (120
     * to 220 words per minute; espeak's default is 175) and pitch (20 to 80 of 99), drawn from a
     * seed of the clip's own name so a clip's settings do not depend on which others are asked for.
     */
    public static List<Clip> clips(List<String> accents, List<String> variants, int takes) {
        List<Clip> out = new ArrayList<>();
        for (String accent : accents) {
            for (String variant : variants) {
                for (int digit = 0; digit < 10; digit++) {
                    for (int take = 0; take < takes; take++) {
                        SplittableRandom r = new SplittableRandom((accent + "+" + variant + "/" + digit + "/" + take).hashCode());
                        out.add(new Clip(accent, variant, digit, r.nextInt(120, 221), r.nextInt(20, 81)));
                    }
                }
            }
        }
        return out;
    }

    /** How many of {@code clips} are not in the cache yet. */
    public static long missing(List<Clip> clips) {
        return clips.stream().filter(c -> !Files.isRegularFile(c.file())).count();
    }

    /**
     * The samples of every clip in [-1, 1), synthesized first where the cache lacks them (two
     * at a time), each cut to the spoken word (silence before and after removed).
     */
    public static List<float[]> load(List<Clip> clips) throws IOException {
        List<Clip> todo = clips.stream().filter(c -> !Files.isRegularFile(c.file())).toList();
        if (!todo.isEmpty()) {
            checkVoices(todo);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (Clip c : todo) {
                    done.add(pool.submit(() -> {
                        synthesize(c);
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while synthesizing speech");
            } finally {
                pool.shutdownNow();
            }
        }
        List<float[]> out = new ArrayList<>(clips.size());
        for (Clip c : clips) {
            out.add(trim(Wav.read(c.file())));
        }
        return out;
    }

    /** Fails with one line when espeak-ng is missing or does not know an accent or variant (it would quietly use its default voice). */
    private static void checkVoices(List<Clip> clips) throws IOException {
        String accents = run("espeak-ng", "--voices=en"), variants = run("espeak-ng", "--voices=variant");
        Set<String> knownAccents = new java.util.HashSet<>(), knownVariants = new java.util.HashSet<>();
        for (String line : accents.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 1) {
                knownAccents.add(f[1]);
            }
        }
        for (String line : variants.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 4 && f[4].startsWith("!v/")) {
                knownVariants.add(f[4].substring(3));
            }
        }
        for (Clip c : clips) {
            if (!knownAccents.contains(c.accent())) {
                throw new IllegalArgumentException("espeak-ng has no English voice '" + c.accent() + "' (espeak-ng --voices=en lists them)");
            }
            if (!knownVariants.contains(c.variant())) {
                throw new IllegalArgumentException("espeak-ng has no voice variant '" + c.variant() + "' (espeak-ng --voices=variant lists them)");
            }
        }
    }

    private static String run(String... command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("synthesizing speech " + MISSING);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (waitFor(p) != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
        return out;
    }

    /** {@code espeak-ng ... --stdout WORD | sox -t wav - -r 16000 -c 1 -b 16}, into a temporary file renamed over the target. */
    private static void synthesize(Clip c) throws IOException {
        Path target = c.file();
        Files.createDirectories(target.getParent());
        Path partial = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".partial");
        try {
            List<Process> pipeline;
            try {
                pipeline = ProcessBuilder.startPipeline(List.of(
                        new ProcessBuilder("espeak-ng", "-v", c.voice(), "-s", String.valueOf(c.speed()), "-p", String.valueOf(c.pitch()),
                                "--stdout", WORDS.get(c.digit())),
                        new ProcessBuilder("sox", "-t", "wav", "-", "-r", String.valueOf(Features.SAMPLE_RATE), "-c", "1", "-b", "16",
                                "-t", "wav", partial.toString()).redirectErrorStream(true)));
            } catch (IOException e) {
                throw new IOException("synthesizing speech " + MISSING);
            }
            String soxSays = new String(pipeline.get(1).getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String espeakSays = new String(pipeline.get(0).getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (waitFor(pipeline.get(0)) != 0 || waitFor(pipeline.get(1)) != 0) {
                throw new IOException("espeak-ng -v " + c.voice() + " | sox failed: " + (espeakSays + " " + soxSays).strip());
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private static int waitFor(Process p) throws IOException {
        try {
            if (!p.waitFor(1, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(p.info().command().orElse("a process") + " did not finish within a minute");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while synthesizing speech");
        }
    }

    /** The samples of a 16 kHz mono 16-bit PCM WAV file, scaled to [-1, 1) ({@link Wav#read(byte[])}). */
    static float[] readWav(byte[] wav) throws IOException {
        return Wav.read(wav);
    }

    /** The part from the first to the last sample louder than 1% of the peak, with 10 ms on either side. */
    public static float[] trim(float[] x) {
        float peak = 0;
        for (float v : x) {
            peak = Math.max(peak, Math.abs(v));
        }
        int first = 0, last = x.length - 1;
        while (first < last && Math.abs(x[first]) <= 0.01f * peak) {
            first++;
        }
        while (last > first && Math.abs(x[last]) <= 0.01f * peak) {
            last--;
        }
        int margin = Features.SAMPLE_RATE / 100;
        return java.util.Arrays.copyOfRange(x, Math.max(0, first - margin), Math.min(x.length, last + 1 + margin));
    }

    /**
     * {@code x} placed at a random offset in up to 100 ms of silence on each side, then white noise
     * added at a signal-to-noise ratio drawn between {@code lowSnr} and {@code lowSnr + 20} dB:
     * the recognizer must find the word and hear it through the noise.
     */
    public static float[] noisy(float[] x, double lowSnr, SplittableRandom random) {
        int pad = Features.SAMPLE_RATE / 10, before = random.nextInt(pad + 1), after = random.nextInt(pad + 1);
        float[] out = new float[before + x.length + after];
        double power = 0;
        for (int i = 0; i < x.length; i++) {
            out[before + i] = x[i];
            power += (double) x[i] * x[i];
        }
        power /= Math.max(1, x.length);
        double snr = random.nextDouble(lowSnr, lowSnr + 20);
        double sigma = Math.sqrt(power / Math.pow(10, snr / 10));
        for (int i = 0; i < out.length; i++) {
            out[i] += (float) (sigma * random.nextGaussian());
        }
        return out;
    }
}

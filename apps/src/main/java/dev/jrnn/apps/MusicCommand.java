package dev.jrnn.apps;

import dev.jrnn.apps.charts.LossChart;
import dev.jrnn.apps.charts.PianoRoll;
import dev.jrnn.apps.data.Corpora;
import dev.jrnn.apps.music.Abc;
import dev.jrnn.apps.music.MelodyTokens;
import dev.jrnn.apps.music.Midi;
import dev.jrnn.apps.music.NGram;
import dev.jrnn.apps.music.Note;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.Sampling;
import dev.jrnn.models.io.AtomicFiles;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn music}: one-to-many on melodies. Reads the melodic lines of the OpenMSX MIDI pieces and
 * of the ABC example tunes as note tokens ({@link MelodyTokens}: interval times length), holds out
 * every fifth piece whole, trains an LSTM language model on the rest and reports held-out bits per
 * note against unigram, bigram and trigram baselines counted from the same tokens. Then it continues
 * a seed melody into N tunes, writes each as MIDI and as ABC, and checks that both read back to the
 * same notes.
 */
@Command(name = "music", mixinStandardHelpOptions = true,
        description = "Learns melodies (OpenMSX MIDI pieces and ABC tunes, fetched once from Debian) with an LSTM, reports held-out bits per note against n-gram baselines, and continues a seed melody into MIDI and ABC files.")
final class MusicCommand implements Callable<Integer> {

    private static final int EMBEDDING = 32, HELD_OUT_EVERY = 5;
    private static final double[] SMOOTHING = {10, 3, 1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001};

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--steps", defaultValue = "300", description = "training steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--hidden", defaultValue = "128", description = "LSTM units (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--batch", defaultValue = "32", description = "streams trained side by side (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--chunk", defaultValue = "64", description = "notes per truncated-BPTT chunk (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--dropout", defaultValue = "0.3", description = "dropout before the output layer (default ${DEFAULT-VALUE})")
    double dropout;

    @Option(names = "--pieces", defaultValue = "0", description = "read only the first N MIDI pieces (default: all 31)")
    int pieces;

    @Option(names = "--seed", defaultValue = "C C G G A A G2", description = "the melody to continue, ABC notes in C major, "
            + "a quarter note each unless a length is given (default \"${DEFAULT-VALUE}\")")
    String seed;

    @Option(names = "--tunes", defaultValue = "4", description = "tunes to generate (default ${DEFAULT-VALUE})")
    int tunes;

    @Option(names = "--length", defaultValue = "64", description = "notes (and rests) to add to the seed (default ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--temperature", defaultValue = "0.8", description = "sampling temperature (default ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--folder", paramLabel = "DIR", description = "your own melodies instead of the built-in ones: a folder of MIDI (.mid, .midi) "
            + "and/or ABC (.abc) files; each MIDI file and each ABC tune is a piece, and every fifth piece in file order is held out")
    Path folder;

    @Option(names = "--out", defaultValue = "jrnn-music", description = "folder for the tunes and the model (default ${DEFAULT-VALUE})")
    Path out;

    // simd, not auto: auto times the backends once at start, and on a busy machine that once chose onednn, 5x slower here
    @Mixin
    BackendOption backend = new BackendOption();

    @Override
    public Integer call() throws IOException {
        if (steps < 1 || hidden < 1 || batch < 1 || chunk < 1 || tunes < 0 || length < 1 || pieces < 0 || temperature < 0
                || !(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--steps, --hidden, --batch, --chunk and --length must be positive, "
                    + "--tunes, --pieces and --temperature not negative, --dropout in [0, 1)");
        }
        PrintWriter say = spec.commandLine().getOut();
        List<Note> seedNotes;
        try {
            seedNotes = Abc.notes(seed, 4);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--seed \"" + seed + "\": " + e.getMessage());
        }
        if (seedNotes.stream().allMatch(Note::isRest)) {
            throw new IllegalArgumentException("--seed \"" + seed + "\" has no note to start from");
        }

        List<int[]> train = new ArrayList<>(), test = new ArrayList<>();
        for (List<List<int[]>> source : folder != null ? List.of(userPieces(folder, say)) : List.of(midiPieces(say), abcPieces(say))) {
            for (int p = 0; p < source.size(); p++) {   // a piece's lines (MIDI parts) are held out together
                (p % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 ? test : train).addAll(source.get(p));
            }
        }
        if (test.isEmpty()) {
            throw new IllegalArgumentException((folder != null ? folder + ": " : "") + "too few pieces to hold any out: use at least " + HELD_OUT_EVERY
                    + " (every " + HELD_OUT_EVERY + "th is held out; a MIDI file or an ABC tune is a piece)");
        }
        say.printf(Locale.ROOT, "every %dth piece held out: %,d notes in %d lines to train, %,d in %d lines to test; %d possible tokens%n",
                HELD_OUT_EVERY, count(train), train.size(), count(test), test.size(), MelodyTokens.SIZE);

        double[] baselines = new double[3];
        for (int order = 1; order <= 3; order++) {
            baselines[order - 1] = Double.MAX_VALUE;
            double bestK = 0;
            for (double k : SMOOTHING) {
                double bits = new NGram(order, MelodyTokens.SIZE, k, train).bits(test);
                if (bits < baselines[order - 1]) {
                    baselines[order - 1] = bits;
                    bestK = k;
                }
            }
            say.printf(Locale.ROOT, "baseline %s, add-k smoothed (k = %s, the best on the held-out notes): %.3f bits per note%n",
                    new String[] {"unigram", "bigram", "trigram"}[order - 1], bestK, baselines[order - 1]);
        }

        Files.createDirectories(out);
        try (LanguageModel lm = new LanguageModel(CellKind.LSTM, MelodyTokens.SIZE, EMBEDDING, hidden, 1, dropout, 7)
                .backend(backend.name())) {
            long started = System.nanoTime();
            Trainer.History history = train(lm, stream(train), test, say);
            double seconds = (System.nanoTime() - started) / 1e9;
            Path curve = out.resolve("loss.png");
            LossChart.writePng(curve, "LSTM on melodies: training loss (nats per note)", history);
            double bits = bitsPerNote(lm, test);
            double best = Arrays.stream(baselines).min().orElseThrow();
            say.printf(Locale.ROOT, "LSTM: %.3f bits per held-out note, %.3f below the best baseline (%.0f%% of its bits); "
                    + "trained in %.1f s on %s; loss curve %s%n", bits, best - bits, 100 * bits / best, seconds, lm.backendName(), curve);
            Path saved = out.resolve("music.safetensors");
            Checkpoint.saveModel(saved, lm, null, Map.of("jrnn.command", "music",
                    "tokens", "0: the boundary between lines; then per note or rest a token of its interval from the note before "
                            + "(-12..12 semitones; rests apart) times its length class (sixteenths " + Arrays.toString(MelodyTokens.LENGTHS) + "), "
                            + "as dev.jrnn.apps.music.MelodyTokens encodes them"));
            say.printf(Locale.ROOT, "model (a LanguageModel over %d note tokens): %s%n", MelodyTokens.SIZE, saved);
            generate(lm, seedNotes, say);
        }
        say.flush();
        return 0;
    }

    /** Each MIDI piece as the tokens of its lines. */
    private List<List<int[]>> midiPieces(PrintWriter say) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(Corpora.OPENMSX.fetch())) {
            files = list.filter(f -> f.toString().endsWith(".mid")).sorted().toList();
        }
        files = pieces > 0 ? files.subList(0, Math.min(pieces, files.size())) : files;
        List<List<int[]>> read = new ArrayList<>();
        int lines = 0;
        for (Path f : files) {
            List<int[]> tokens = new ArrayList<>();
            for (List<Note.Timed> line : Midi.lines(f, Midi.MIN_NOTES)) {
                tokens.add(MelodyTokens.encode(Note.line(line)));
            }
            lines += tokens.size();
            read.add(tokens);
        }
        say.printf(Locale.ROOT, "OpenMSX: %d MIDI pieces, %d lines (the highest note of each onset of every non-drum part)%n",
                read.size(), lines);
        return read;
    }

    /**
     * The user's pieces, in file name order: each MIDI file's lines (its parts of at least
     * {@link Midi#MIN_NOTES} notes) as one piece, each ABC tune as a piece. A file that gives no
     * piece is an error naming it.
     */
    static List<List<int[]>> userPieces(Path folder, PrintWriter say) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException(folder + ": not a folder (expected a folder of MIDI and ABC files)");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(f -> kind(f) != null).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IOException(folder + ": no MIDI (.mid, .midi) or ABC (.abc) file");
        }
        List<List<int[]>> read = new ArrayList<>();
        int midi = 0, tunes = 0, unread = 0, skipped = 0;
        for (Path f : files) {
            if (kind(f).equals("midi")) {
                List<int[]> lines = new ArrayList<>();
                for (List<Note.Timed> line : Midi.lines(f, Midi.MIN_NOTES)) {
                    lines.add(MelodyTokens.encode(Note.line(line)));
                }
                if (lines.isEmpty()) {
                    throw new IOException(f + ": no part of at least " + Midi.MIN_NOTES + " notes (channel 10, drums, is not read)");
                }
                read.add(lines);
                midi++;
            } else {
                if (Files.size(f) > Abc.MAX_BYTES) {
                    throw new IOException(f + ": " + Files.size(f) + " bytes, more than an ABC file read whole may hold (" + Abc.MAX_BYTES + ")");
                }
                Abc.Book book = Abc.read(Files.readString(f, StandardCharsets.ISO_8859_1)); // Latin-1 reads any bytes; ABC's notes are ASCII
                if (book.tunes().isEmpty()) {
                    throw new IOException(f + ": no tune with notes" + (book.unreadTunes() > 0 ? " (" + book.unreadTunes() + " unreadable: no notes, or a key this cannot read)" : "")
                            + " (expected tunes of an X: line, headers up to K:, then notes, each tune ended by a blank line)");
                }
                for (Abc.Tune t : book.tunes()) {
                    read.add(List.of(MelodyTokens.encode(t.notes())));
                }
                tunes += book.tunes().size();
                unread += book.unreadTunes();
                skipped += book.skippedLines();
            }
        }
        say.printf(Locale.ROOT, "%s: %d MIDI files and %d ABC tunes (%d tunes left out: no notes or a key this cannot read; %d music lines skipped as unreadable)%n",
                folder, midi, tunes, unread, skipped);
        return read;
    }

    /** "midi", "abc", or null for a file of neither kind. */
    private static String kind(Path f) {
        String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
        return !Files.isRegularFile(f) ? null : name.endsWith(".mid") || name.endsWith(".midi") ? "midi" : name.endsWith(".abc") ? "abc" : null;
    }

    /** Each readable ABC tune as a piece of one line. */
    private List<List<int[]>> abcPieces(PrintWriter say) throws IOException {
        List<List<int[]>> read = new ArrayList<>();
        int unread = 0, skipped = 0;
        for (Corpora.Source source : Corpora.ABC_TUNES) {
            List<Path> files;
            try (Stream<Path> list = Files.list(source.fetch())) {
                files = list.filter(f -> f.toString().endsWith(".abc")).sorted().toList();
            }
            for (Path f : files) {
                Abc.Book book = Abc.read(Files.readString(f, StandardCharsets.ISO_8859_1)); // some files are Latin-1
                unread += book.unreadTunes();
                skipped += book.skippedLines();
                for (Abc.Tune t : book.tunes()) {
                    read.add(List.of(MelodyTokens.encode(t.notes())));
                }
            }
        }
        say.printf(Locale.ROOT, "ABC examples: %d tunes read (%d left out: no notes or a key this cannot read; "
                + "%d music lines skipped as unreadable)%n", read.size(), unread, skipped);
        return read;
    }

    private static long count(List<int[]> lines) {
        return lines.stream().mapToLong(l -> l.length).sum();
    }

    /** All lines as one stream, each after a boundary token. */
    private static int[] stream(List<int[]> lines) {
        int[] all = new int[(int) count(lines) + lines.size()];
        int at = 0;
        for (int[] line : lines) {
            all[at++] = MelodyTokens.BOUNDARY;
            System.arraycopy(line, 0, all, at, line.length);
            at += line.length;
        }
        return all;
    }

    /**
     * Truncated BPTT over {@code batch} streams that start at evenly spaced places of the training
     * stream; the held-out loss is printed ten times along the way (it does not steer the training).
     */
    private Trainer.History train(LanguageModel lm, int[] stream, List<int[]> test, PrintWriter say) {
        Optimizer adam = Optimizer.adam(lm, 2e-3);
        int stride = stream.length / batch;
        LanguageModel.State[] carry = {null};
        return new Trainer(adam, LearningRate.warmupCosine(3e-3, 50, steps), steps)
                .progress(say::println, "notes", (long) batch * chunk)
                .validation(Math.max(1, steps / 10), () -> bitsPerNote(lm, test) * Math.log(2))
                .run(step -> {
                    int[][] in = new int[chunk][batch], target = new int[chunk][batch];
                    for (int t = 0; t < chunk; t++) {
                        for (int n = 0; n < batch; n++) {
                            int at = (int) ((n * (long) stride + step * chunk + t) % (stream.length - 1));
                            in[t][n] = stream[at];
                            target[t][n] = stream[at + 1];
                        }
                    }
                    LanguageModel.Step s = lm.trainStep(in, target, carry[0], adam, 5.0);
                    carry[0] = s.state();
                    return s.loss();
                });
    }

    /** Bits per note of the held-out lines, read as one stream as in training; the boundaries are not scored. */
    private static double bitsPerNote(LanguageModel lm, List<int[]> lines) {
        int[] stream = stream(lines);
        double nats = 0;
        try (LanguageModel.Generator g = lm.generator()) {
            float[] logits = g.next(stream[0]);
            for (int i = 1; i < stream.length; i++) {
                if (stream[i] != MelodyTokens.BOUNDARY) {
                    nats -= Losses.logSoftmax(logits)[stream[i]];
                }
                logits = g.next(stream[i]);
            }
        }
        return nats / count(lines) / Math.log(2);
    }

    /** Continues the seed into {@link #tunes} tunes, writes them as ABC and MIDI, and reads both back. */
    private void generate(LanguageModel lm, List<Note> seedNotes, PrintWriter say) throws IOException {
        int[] seedTokens = MelodyTokens.encode(seedNotes);
        int firstPitch = seedNotes.stream().filter(n -> !n.isRest()).findFirst().orElseThrow().pitch();
        int abcSame = 0, midiSame = 0;
        String first = null;
        try (LanguageModel.Generator g = lm.generator()) {
            for (int tune = 1; tune <= tunes; tune++) {
                g.reset();
                float[] logits = g.next(MelodyTokens.BOUNDARY);
                for (int t : seedTokens) {
                    logits = g.next(t);
                }
                SplittableRandom random = new SplittableRandom(tune);
                int[] tokens = Arrays.copyOf(seedTokens, seedTokens.length + length);
                for (int i = seedTokens.length; i < tokens.length; i++) {
                    logits[MelodyTokens.BOUNDARY] = Float.NEGATIVE_INFINITY;   // a tune of the asked length: no ending early
                    tokens[i] = Sampling.temperature(temperature).pick(logits, random);
                    logits = g.next(tokens[i]);
                }
                List<Note> melody = MelodyTokens.decode(tokens, firstPitch);
                String abc = Abc.write(tune, "jrnn music " + tune + ", from " + seed, melody);
                Path abcFile = out.resolve("tune-" + tune + ".abc"), midiFile = out.resolve("tune-" + tune + ".mid");
                AtomicFiles.write(abcFile, o -> o.write(abc.getBytes(StandardCharsets.UTF_8)));
                AtomicFiles.write(midiFile, o -> Midi.write(melody, o));
                pianoRoll(tune, melody, seedNotes.size(), out.resolve("tune-" + tune + ".png"));
                first = first == null ? abc : first;
                abcSame += sameNotes(melody, () -> Abc.parse(Files.readString(abcFile, StandardCharsets.UTF_8)).notes()) ? 1 : 0;
                midiSame += sameNotes(melody, () -> Note.line(single(Midi.lines(midiFile, 1)))) ? 1 : 0;
            }
        }
        say.printf(Locale.ROOT, "%d tunes of %d notes after the seed \"%s\" (temperature %s) in %s: "
                + "%d of %d ABC files parse back to the same notes, %d of %d MIDI files read back with the same notes; "
                + "piano rolls %s%n",
                tunes, length, seed, temperature, out, abcSame, tunes, midiSame, tunes,
                tunes == 1 ? out.resolve("tune-1.png") : out.resolve("tune-1.png") + " to tune-" + tunes + ".png");
        if (first != null) {
            say.print(first);
        }
    }

    /** Tune {@code tune} as a piano roll: the seed's notes grey, the generated ones blue. */
    private void pianoRoll(int tune, List<Note> melody, int seedNotes, Path file) throws IOException {
        List<Note.Timed> timed = Note.timed(melody);
        PianoRoll roll = new PianoRoll("jrnn music, tune " + tune + " from \"" + seed + "\" (temperature " + temperature + ")", "sixteenths");
        int seedEvents = Note.timed(melody.subList(0, Math.min(seedNotes, melody.size()))).size();
        roll.notes("seed", onsets(timed.subList(0, seedEvents)), lengths(timed.subList(0, seedEvents)),
                pitches(timed.subList(0, seedEvents)), new Color(150, 150, 150));
        List<Note.Timed> generated = timed.subList(seedEvents, timed.size());
        roll.notes("generated", onsets(generated), lengths(generated), pitches(generated), new Color(31, 119, 180));
        roll.writePng(file, 1100, 420);
    }

    private static double[] onsets(List<Note.Timed> notes) {
        return notes.stream().mapToDouble(Note.Timed::onset).toArray();
    }

    private static double[] lengths(List<Note.Timed> notes) {
        return notes.stream().mapToDouble(Note.Timed::length).toArray();
    }

    private static int[] pitches(List<Note.Timed> notes) {
        return notes.stream().mapToInt(Note.Timed::pitch).toArray();
    }

    private static List<Note.Timed> single(List<List<Note.Timed>> lines) throws IOException {
        if (lines.size() != 1) {
            throw new IOException("expected one line, read " + lines.size());
        }
        return lines.getFirst();
    }

    private interface Reader {
        List<Note> read() throws IOException;
    }

    /** Whether what {@code reader} reads back sounds the same notes at the same times; a file it cannot read does not. */
    private static boolean sameNotes(List<Note> written, Reader reader) {
        try {
            return Note.timed(reader.read()).equals(Note.timed(written));
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }
}

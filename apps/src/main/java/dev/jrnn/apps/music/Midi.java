package dev.jrnn.apps.music;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sound.midi.InvalidMidiDataException;
import javax.sound.midi.MetaMessage;
import javax.sound.midi.MidiEvent;
import javax.sound.midi.MidiMessage;
import javax.sound.midi.MidiSystem;
import javax.sound.midi.Sequence;
import javax.sound.midi.ShortMessage;
import javax.sound.midi.Track;

/**
 * Standard MIDI files through the JDK's {@code javax.sound.midi}: melodic lines out of a piece, and
 * a line written as a one-track file.
 * <p>
 * A piece's lines: every non-drum part (a track's notes on one channel; channel 10 is drums) with
 * enough notes ({@link #MIN_NOTES} for a piece), reduced to one note per onset, the highest (the "skyline",
 * which is where a melody usually sits), each note cut where the next one starts. Times are
 * rounded to sixteenth notes of the file's beat.
 */
public final class Midi {

    /** Parts with fewer notes (a cymbal, a single chord) are not lines. */
    public static final int MIN_NOTES = 16;

    private static final int DRUMS = 9, RESOLUTION = 480, VELOCITY = 90;

    /** A piece is read whole; a larger file is refused rather than exhausting the heap. */
    static final long MAX_BYTES = 64L << 20;

    private Midi() {
    }

    /** The lines of the MIDI file {@code file} with at least {@code minNotes} notes, in track and channel order. */
    public static List<List<Note.Timed>> lines(Path file, int minNotes) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException(file + ": " + size + " bytes, more than a MIDI file read whole may hold (" + MAX_BYTES + ")");
        }
        return lines(Files.readAllBytes(file), file.toString(), minNotes);
    }

    /**
     * The lines of the MIDI file {@code bytes} (named {@code name} in messages). The JDK's reader
     * reports a malformed file in several ways (InvalidMidiDataException, EOFException,
     * runtime exceptions on some bytes): each becomes one IOException naming the file.
     */
    public static List<List<Note.Timed>> lines(byte[] bytes, String name, int minNotes) throws IOException {
        checkChunks(bytes, name);
        Sequence sequence;
        try {
            sequence = MidiSystem.getSequence(new ByteArrayInputStream(bytes));
        } catch (InvalidMidiDataException | IOException | RuntimeException e) {
            throw new IOException(name + ": not a MIDI file this JDK reads (" + (e instanceof EOFException ? "truncated: it ends inside a chunk"
                    : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + ")");
        }
        if (sequence.getDivisionType() != Sequence.PPQ) {
            throw new IOException(name + ": counts time in SMPTE frames, not beats: not supported");
        }
        if (sequence.getResolution() <= 0) {
            throw new IOException(name + ": " + sequence.getResolution() + " ticks per beat (expected a positive number)");
        }
        double perTick = 4.0 / sequence.getResolution();      // sixteenths per tick
        List<List<Note.Timed>> lines = new ArrayList<>();
        for (Track track : sequence.getTracks()) {
            Map<Integer, List<Note.Timed>> parts = new java.util.TreeMap<>();
            Map<Integer, ArrayDeque<Long>> open = new HashMap<>();  // channel * 128 + pitch -> onsets of sounding notes
            for (int e = 0; e < track.size(); e++) {
                MidiEvent event = track.get(e);
                if (!(event.getMessage() instanceof ShortMessage m) || m.getChannel() == DRUMS) {
                    continue;
                }
                int key = m.getChannel() * 128 + m.getData1();
                boolean on = m.getCommand() == ShortMessage.NOTE_ON && m.getData2() > 0;
                boolean off = m.getCommand() == ShortMessage.NOTE_OFF || (m.getCommand() == ShortMessage.NOTE_ON && m.getData2() == 0);
                if (on) {
                    open.computeIfAbsent(key, k -> new ArrayDeque<>()).add(event.getTick());
                } else if (off && open.containsKey(key) && !open.get(key).isEmpty()) {
                    long start = open.get(key).poll();
                    long onset = Math.round(start * perTick), end = Math.round(event.getTick() * perTick);
                    parts.computeIfAbsent(m.getChannel(), c -> new ArrayList<>())
                            .add(new Note.Timed(m.getData1(), onset, Math.max(1, end - onset)));
                }
            }
            for (List<Note.Timed> part : parts.values()) {
                if (part.size() >= minNotes) {
                    lines.add(skyline(part));
                }
            }
        }
        return lines;
    }

    /**
     * A standard MIDI file is a header chunk ("MThd") and chunks each declaring its length: the
     * JDK's reader reads a cut-off file without complaint (a truncated track just ends early), so
     * the chunks are checked to fit in the file first.
     */
    private static void checkChunks(byte[] bytes, String name) throws IOException {
        if (bytes.length < 14 || !new String(bytes, 0, 4, StandardCharsets.ISO_8859_1).equals("MThd")) {
            throw new IOException(name + ": not a MIDI file (expected MThd and a header in its first 14 bytes)");
        }
        for (long at = 0; at < bytes.length; ) {
            if (at + 8 > bytes.length) {
                throw new IOException(name + ": truncated: " + (bytes.length - at) + " bytes at byte " + at + " where a chunk's 8-byte header is expected");
            }
            long size = Integer.toUnsignedLong(ByteBuffer.wrap(bytes, (int) at + 4, 4).getInt());
            if (at + 8 + size > bytes.length) {
                throw new IOException(name + ": truncated: the '" + new String(bytes, (int) at, 4, StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", "?")
                        + "' chunk at byte " + at + " declares " + size + " bytes, " + (bytes.length - at - 8) + " follow");
            }
            at += 8 + size;
        }
    }

    /** The highest note of each onset, each cut where the next begins. */
    static List<Note.Timed> skyline(List<Note.Timed> notes) {
        List<Note.Timed> sorted = new ArrayList<>(notes);
        sorted.sort(Comparator.comparingDouble(Note.Timed::onset).thenComparing(Comparator.comparingInt(Note.Timed::pitch).reversed()));
        List<Note.Timed> line = new ArrayList<>();
        for (Note.Timed n : sorted) {
            if (!line.isEmpty() && line.getLast().onset() == n.onset()) {
                continue;
            }
            if (!line.isEmpty()) {
                Note.Timed last = line.removeLast();
                line.add(new Note.Timed(last.pitch(), last.onset(), Math.min(last.length(), n.onset() - last.onset())));
            }
            line.add(n);
        }
        return line;
    }

    /** Writes {@code line} (whole sixteenths) as a type-0 MIDI file at 120 beats per minute, piano. */
    public static void write(List<Note> line, OutputStream out) throws IOException {
        try {
            Sequence sequence = new Sequence(Sequence.PPQ, RESOLUTION);
            Track track = sequence.createTrack();
            track.add(new MidiEvent(new MetaMessage(0x51, new byte[] {0x07, (byte) 0xA1, 0x20}, 3), 0)); // 500,000 us per beat
            track.add(new MidiEvent(new ShortMessage(ShortMessage.PROGRAM_CHANGE, 0, 0, 0), 0));
            int ticks = RESOLUTION / 4;
            for (Note.Timed n : Note.timed(line)) {
                track.add(new MidiEvent(message(ShortMessage.NOTE_ON, n.pitch(), VELOCITY), Math.round(n.onset() * ticks)));
                track.add(new MidiEvent(message(ShortMessage.NOTE_OFF, n.pitch(), 0), Math.round((n.onset() + n.length()) * ticks)));
            }
            MidiSystem.write(sequence, 0, out);
        } catch (InvalidMidiDataException e) {
            throw new IllegalArgumentException("a note MIDI cannot hold: " + e.getMessage());
        }
    }

    private static MidiMessage message(int command, int pitch, int velocity) throws InvalidMidiDataException {
        return new ShortMessage(command, 0, pitch, velocity);
    }
}

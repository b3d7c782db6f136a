package dev.jrnn.apps.music;

import java.util.ArrayList;
import java.util.List;

/**
 * One event of a monophonic line: a pitch (MIDI number, 60 = middle C) or a {@link #REST}, lasting
 * {@code sixteenths} sixteenth notes (a quarter note is 4).
 */
public record Note(int pitch, double sixteenths) {

    /** The pitch of a rest. */
    public static final int REST = -1;

    public boolean isRest() {
        return pitch == REST;
    }

    /** A sounding note placed in time, onset and length in sixteenths from the start of the line. */
    public record Timed(int pitch, double onset, double length) {
    }

    /**
     * The sounding notes of {@code line} with their onsets. Two files hold "the same notes" when these
     * lists are equal: it ignores how silence is spelled (one rest or two, trailing rests) and how a
     * long note is split into tied parts.
     */
    public static List<Timed> timed(List<Note> line) {
        List<Timed> notes = new ArrayList<>();
        double at = 0;
        for (Note n : line) {
            if (!n.isRest()) {
                notes.add(new Timed(n.pitch(), at, n.sixteenths()));
            }
            at += n.sixteenths();
        }
        return notes;
    }

    /** The line of notes and rests that plays {@code notes} (sorted, not overlapping), from the first onset. */
    public static List<Note> line(List<Timed> notes) {
        List<Note> line = new ArrayList<>();
        for (int i = 0; i < notes.size(); i++) {
            Timed n = notes.get(i);
            line.add(new Note(n.pitch(), n.length()));
            if (i + 1 < notes.size()) {
                double gap = notes.get(i + 1).onset() - n.onset() - n.length();
                if (gap > 0) {
                    line.add(new Note(REST, gap));
                }
            }
        }
        return line;
    }
}

package dev.jrnn.apps.music;

import java.util.ArrayList;
import java.util.List;

/**
 * A melody as tokens for a language model: one token per note, its interval from the note before
 * (folded by octaves into [-12, 12]) times its length class; one per rest, by length; and a piece
 * {@link #BOUNDARY}. Intervals make the tokens the same in every key, so tunes need no
 * transposing to a common key. Lengths are rounded to the nearest of {@link #LENGTHS} sixteenths.
 */
public final class MelodyTokens {

    /** The length classes, in sixteenths: from a sixteenth to a whole note (longer is cut to a whole). */
    public static final int[] LENGTHS = {1, 2, 3, 4, 6, 8, 12, 16};

    /** Between pieces (and before a seed). */
    public static final int BOUNDARY = 0;

    private static final int MAX_INTERVAL = 12, RESTS = 1, NOTES = RESTS + LENGTHS.length;

    /** How many distinct tokens there are. */
    public static final int SIZE = NOTES + (2 * MAX_INTERVAL + 1) * LENGTHS.length;

    private MelodyTokens() {
    }

    /** The index in {@link #LENGTHS} nearest to {@code sixteenths} (the shorter on a tie). */
    static int lengthClass(double sixteenths) {
        int best = 0;
        for (int c = 1; c < LENGTHS.length; c++) {
            if (Math.abs(LENGTHS[c] - sixteenths) < Math.abs(LENGTHS[best] - sixteenths)) {
                best = c;
            }
        }
        return best;
    }

    /** The tokens of {@code line}; its first note counts as an interval of 0. */
    public static int[] encode(List<Note> line) {
        int[] tokens = new int[line.size()];
        int previous = line.stream().filter(n -> !n.isRest()).mapToInt(Note::pitch).findFirst().orElse(0);
        for (int i = 0; i < tokens.length; i++) {
            Note n = line.get(i);
            int length = lengthClass(n.sixteenths());
            if (n.isRest()) {
                tokens[i] = RESTS + length;
            } else {
                int interval = n.pitch() - previous;
                while (Math.abs(interval) > MAX_INTERVAL) {
                    interval -= 12 * Integer.signum(interval);
                }
                tokens[i] = NOTES + (interval + MAX_INTERVAL) * LENGTHS.length + length;
                previous = n.pitch();
            }
        }
        return tokens;
    }

    /**
     * The line {@code tokens} play, starting from {@code firstPitch} (the pitch the first interval is
     * taken from); a melody drifting off the piano's 88 keys is folded back by an octave. Boundaries
     * are skipped.
     */
    public static List<Note> decode(int[] tokens, int firstPitch) {
        List<Note> line = new ArrayList<>();
        int pitch = firstPitch;
        for (int t : tokens) {
            if (t < 0 || t >= SIZE) {
                throw new IllegalArgumentException("token " + t + " is not in [0, " + SIZE + ")");
            }
            if (t == BOUNDARY) {
                continue;
            }
            if (t < NOTES) {
                line.add(new Note(Note.REST, LENGTHS[t - RESTS]));
            } else {
                pitch += (t - NOTES) / LENGTHS.length - MAX_INTERVAL;
                pitch += pitch > 108 ? -12 : pitch < 21 ? 12 : 0;
                line.add(new Note(pitch, LENGTHS[(t - NOTES) % LENGTHS.length]));
            }
        }
        return line;
    }
}

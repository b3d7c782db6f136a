package dev.jrnn.apps.music;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ABC notation (abcnotation.com, standard 2.1), the subset a melody needs, read into a monophonic
 * line of {@link Note}s and written back.
 * <p>
 * Read: the header fields X, T, M, L, K (major keys, minor and the church modes, extra accidentals
 * like {@code ^f}); notes {@code A-G a-g} with octave marks {@code ' ,}, accidentals {@code ^ ^^ _ __ =}
 * (kept to the end of the bar, as the standard says), lengths ({@code 2 /2 / // 3/2}), broken rhythm
 * {@code > <}, ties {@code -}, tuplets {@code (3}, rests {@code z x}, bars and repeat marks (repeats
 * are not expanded), inline fields {@code [K:..] [L:..]}. Chords {@code [CEG]} give their highest
 * note (as the MIDI reader keeps the highest note of an onset). Skipped: chord symbols and
 * annotations in quotes, decorations, grace notes, slurs, lyrics and other fields, and every voice
 * but the first. A music line holding anything else (e.g. a voice overlay {@code &} or a
 * multi-measure rest {@code Z}) is skipped and counted by {@link #read}; {@link #parse} rejects it.
 */
public final class Abc {

    /** A file of tunes is read whole; a larger one is refused rather than exhausting the heap. */
    public static final long MAX_BYTES = 64L << 20;

    private Abc() {
    }

    /** A tune's title, its melody, and how many of its music lines could not be read (and were left out). */
    public record Tune(String title, List<Note> notes, int skippedLines) {
    }

    /** The readable tunes of a file, and how many tunes (no readable key, no notes) and lines were left out. */
    public record Book(List<Tune> tunes, int unreadTunes, int skippedLines) {
    }

    /** Every tune of an ABC file ({@code X:} starts one, a blank line ends it), skipping what it cannot read. */
    public static Book read(String text) {
        List<Tune> tunes = new ArrayList<>();
        int unread = 0, skipped = 0;
        StringBuilder tune = null;
        for (String line : (text + "\n\n").split("\r?\n", -1)) {
            if (line.startsWith("X:")) {
                tune = new StringBuilder();
            }
            if (tune != null && line.isBlank()) {
                try {
                    Tune t = new Parser(false).tune(tune.toString());
                    skipped += t.skippedLines();
                    if (t.notes().isEmpty()) {
                        unread++;
                    } else {
                        tunes.add(t);
                    }
                } catch (IllegalArgumentException e) {
                    unread++;
                }
                tune = null;
            } else if (tune != null) {
                tune.append(line).append('\n');
            }
        }
        return new Book(tunes, unread, skipped);
    }

    /**
     * One tune, strictly: the headers X, T, M, L and K must be there and every music line readable,
     * else an IllegalArgumentException says what is wrong. This is the check on generated tunes.
     */
    public static Tune parse(String tune) {
        return new Parser(true).tune(tune);
    }

    /** The notes of a line of ABC music in C major with the unit length {@code unitSixteenths} (4: quarter notes), strictly. */
    public static List<Note> notes(String music, double unitSixteenths) {
        Parser p = new Parser(true);
        p.unit = unitSixteenths;
        p.music(music);
        return p.notes;
    }

    /**
     * A complete tune in C major, 4/4, unit length a sixteenth, bars every 16 sixteenths (notes
     * crossing a bar are tied across it). Every length must be a whole number of sixteenths.
     */
    public static String write(int number, String title, List<Note> notes) {
        StringBuilder abc = new StringBuilder();
        abc.append("X:").append(number).append('\n').append("T:").append(title.replaceAll("\\s+", " ")).append('\n')
                .append("M:4/4\nL:1/16\nQ:1/4=120\nK:C\n");
        Map<Integer, Integer> accidentals = new HashMap<>(); // natural pitch -> alteration in force in this bar
        int inBar = 0, bars = 0;
        for (Note n : notes) {
            int left = (int) n.sixteenths();
            if (left != n.sixteenths() || left <= 0) {
                throw new IllegalArgumentException("a length of " + n.sixteenths() + " sixteenths is not a whole positive number");
            }
            while (left > 0) {
                int part = Math.min(left, 16 - inBar);
                left -= part;
                abc.append(n.isRest() ? "z" : spell(n.pitch(), accidentals)).append(part == 1 ? "" : part)
                        .append(left > 0 && !n.isRest() ? "- " : " ");
                inBar += part;
                if (inBar == 16) {
                    inBar = 0;
                    accidentals.clear();
                    abc.append(++bars % 4 == 0 ? "|\n" : "| ");
                }
            }
        }
        return abc.toString().stripTrailing() + (inBar == 0 && bars > 0 ? "]" : " |]") + "\n";
    }

    private static final String LETTERS = "CCDDEFFGGAAB";
    private static final int[] SHARP = {0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0};

    /** The ABC spelling of {@code pitch} (sharps only), with an accidental when the bar's current one differs. */
    private static String spell(int pitch, Map<Integer, Integer> accidentals) {
        int pc = Math.floorMod(pitch, 12), sharp = SHARP[pc], natural = pitch - sharp, octave = Math.floorDiv(pitch, 12) - 1;
        StringBuilder s = new StringBuilder();
        if (accidentals.getOrDefault(natural, 0) != sharp) {
            s.append(sharp == 1 ? '^' : '=');
            accidentals.put(natural, sharp);
        }
        char letter = LETTERS.charAt(pc);
        s.append(octave >= 5 ? Character.toLowerCase(letter) : letter);
        s.append(octave >= 5 ? "'".repeat(octave - 5) : ",".repeat(4 - octave));
        return s.toString();
    }

    /** Reads one tune; not reusable. {@code strict}: any problem is an exception, else unreadable lines are skipped. */
    private static final class Parser {
        private static final String NOTE_LETTERS = "CDEFGAB";
        private static final int[] NATURAL = {0, 2, 4, 5, 7, 9, 11};
        private static final String DECORATIONS = ".~HLMOPSTuvJR";
        private static final Pattern FIELD = Pattern.compile("^([A-Za-z]):(.*)$", Pattern.DOTALL); // DOTALL: Latin-1 text may hold U+0085

        final boolean strict;
        final List<Note> notes = new ArrayList<>();
        int[] key = new int[7];                                 // alteration of each letter, C..B
        final Map<Integer, Integer> barAccidentals = new HashMap<>();
        double unit = 2, meter = 1, nextFactor = 1, tupletFactor = 1;
        int tupletLeft, skipped;
        boolean tie;
        String firstVoice;
        boolean otherVoice;
        String s;
        int i;

        Parser(boolean strict) {
            this.strict = strict;
        }

        Tune tune(String text) {
            Map<Character, String> header = new HashMap<>();
            String[] lines = text.split("\r?\n");
            int at = 0;
            for (; at < lines.length && !header.containsKey('K'); at++) {
                Matcher f = FIELD.matcher(lines[at].strip());
                if (f.matches()) {
                    header.putIfAbsent(f.group(1).charAt(0), f.group(2).strip());
                } else if (strict && !lines[at].isBlank() && !lines[at].startsWith("%")) {
                    throw new IllegalArgumentException("the tune has no K: header before its music ('" + lines[at] + "')");
                }
            }
            for (char required : strict ? "XTMLK".toCharArray() : "K".toCharArray()) {
                if (!header.containsKey(required)) {
                    throw new IllegalArgumentException("the tune has no " + required + ": header");
                }
            }
            meter(header.getOrDefault('M', "4/4"));
            unit = meter < 0.75 ? 1 : 2;                        // the standard's default unit length
            if (header.containsKey('L')) {
                length(header.get('L'));
            }
            key(header.get('K'));
            for (; at < lines.length; at++) {
                String line = lines[at];
                Matcher f = FIELD.matcher(line.strip());
                if (line.startsWith("%")) {
                    continue;
                }
                if (f.matches()) {
                    field(f.group(1).charAt(0), f.group(2).strip());
                } else if (!otherVoice) {
                    int before = notes.size();
                    try {
                        music(line);
                    } catch (IllegalArgumentException e) {
                        if (strict) {
                            throw new IllegalArgumentException(e.getMessage() + " in the line '" + line + "'");
                        }
                        notes.subList(before, notes.size()).clear();
                        nextFactor = 1;
                        tupletLeft = 0;
                        tie = false;
                        skipped++;
                    }
                }
            }
            return new Tune(header.getOrDefault('T', ""), notes, skipped);
        }

        /** A header field in the body (or inline): K, L, M and V matter, the rest (lyrics, titles, parts...) does not. */
        void field(char name, String value) {
            switch (name) {
                case 'K' -> key(value);
                case 'L' -> length(value);
                case 'M' -> meter(value);
                case 'V' -> {
                    String voice = value.split("\\s+")[0];
                    if (firstVoice == null) {
                        firstVoice = voice;
                    }
                    otherVoice = !voice.equals(firstVoice);
                }
                default -> {
                }
            }
        }

        void meter(String m) {
            Matcher r = Pattern.compile("(\\d+)/(\\d+)").matcher(m);
            meter = m.startsWith("C") ? 1 : r.find()                 // C is 4/4, C| is 2/2
                    ? Double.parseDouble(r.group(1)) / Double.parseDouble(r.group(2)) : 1;
        }

        void length(String l) {
            Matcher r = Pattern.compile("(\\d+)(?:/(\\d+))?").matcher(l.strip());
            if (!r.lookingAt()) {
                throw new IllegalArgumentException("cannot read the unit length L:" + l);
            }
            unit = 16 * Double.parseDouble(r.group(1)) / (r.group(2) == null ? 1 : Double.parseDouble(r.group(2)));
        }

        private static final Pattern KEY = Pattern.compile(
                "([A-G])([#b]?)\\s*(maj|major|ion|ionian|mix|mixolydian|dor|dorian|aeo|aeolian|min|minor|m|phr|phrygian|lyd|lydian|loc|locrian)?(?![a-z])(.*)",
                Pattern.CASE_INSENSITIVE);

        /** The key signature: sharps (or flats) counted on the circle of fifths, then any explicit accidentals. */
        void key(String k) {
            key = new int[7];
            String v = k.strip();
            if (v.isEmpty() || v.startsWith("none") || v.matches("(?i)^(clef|treble|bass|alto|tenor).*")) {
                return;
            }
            Matcher m = KEY.matcher(v);
            if (!m.matches() || !Character.isUpperCase(v.charAt(0))) {
                throw new IllegalArgumentException("cannot read the key K:" + k);
            }
            int fifths = "FCGDAEB".indexOf(m.group(1)) - 1 + (m.group(2).equals("#") ? 7 : m.group(2).equals("b") ? -7 : 0);
            String mode = m.group(3) == null ? "" : m.group(3).toLowerCase(Locale.ROOT);
            fifths += switch (mode.length() > 3 ? mode.substring(0, 3) : mode) {
                case "mix" -> -1;
                case "dor" -> -2;
                case "m", "min", "aeo" -> -3;
                case "phr" -> -4;
                case "loc" -> -5;
                case "lyd" -> 1;
                default -> 0;
            };
            for (int n = 0; n < Math.abs(fifths) && n < 7; n++) {
                key[NOTE_LETTERS.indexOf((fifths > 0 ? "FCGDAEB" : "BEADGCF").charAt(n))] = fifths > 0 ? 1 : -1;
            }
            Matcher extra = Pattern.compile("(\\^\\^|\\^|__|_|=)([a-gA-G])").matcher(m.group(4));
            while (extra.find()) {
                key[NOTE_LETTERS.indexOf(Character.toUpperCase(extra.group(2).charAt(0)))] = alteration(extra.group(1));
            }
        }

        static int alteration(String accidental) {
            return switch (accidental) {
                case "^" -> 1;
                case "^^" -> 2;
                case "_" -> -1;
                case "__" -> -2;
                default -> 0;
            };
        }

        /** One line of music, appended to {@link #notes}. */
        void music(String line) {
            s = line;
            i = 0;
            int comment = s.indexOf('%');
            if (comment >= 0) {
                s = s.substring(0, comment);
            }
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == ')' || c == '`' || c == 'y' || c == '\\' || DECORATIONS.indexOf(c) >= 0) {
                    i++;
                } else if (c == '"' || c == '!' || c == '+' || c == '{') {
                    int end = s.indexOf(c == '{' ? '}' : c, i + 1);
                    if (end < 0) {
                        throw new IllegalArgumentException("unclosed " + c);
                    }
                    i = end + 1;
                } else if (c == '(') {
                    i++;
                    if (i < s.length() && Character.isDigit(s.charAt(i))) {
                        tuplet();
                    }
                } else if (c == '-') {
                    tie = true;
                    i++;
                } else if (c == '>' || c == '<') {
                    broken(c);
                } else if (c == '|' || c == ':' || (c == '[' && i + 1 < s.length() && (s.charAt(i + 1) == '|' || Character.isDigit(s.charAt(i + 1))))) {
                    bar();
                } else if (c == '[' && i + 2 < s.length() && Character.isLetter(s.charAt(i + 1)) && s.charAt(i + 2) == ':') {
                    int end = s.indexOf(']', i);
                    if (end < 0) {
                        throw new IllegalArgumentException("unclosed inline field");
                    }
                    field(s.charAt(i + 1), s.substring(i + 3, end).strip());
                    i = end + 1;
                } else if (c == '[') {
                    chord();
                } else if (c == 'z' || c == 'x') {
                    i++;
                    add(Note.REST, unit * multiplier());
                } else if (c == '^' || c == '_' || c == '=' || NOTE_LETTERS.indexOf(Character.toUpperCase(c)) >= 0) {
                    int pitch = pitch();
                    add(pitch, unit * multiplier());
                } else {
                    throw new IllegalArgumentException("cannot read '" + c + "' at column " + (i + 1));
                }
            }
        }

        /** A bar line or repeat mark ({@code | || |] [| |: :| :: [1 :|2}); an inline field may follow right after. */
        void bar() {
            if (s.charAt(i) == '[') {
                i++;
            }
            while (i < s.length() && "|:".indexOf(s.charAt(i)) >= 0) {
                i++;
                if (i < s.length() && s.charAt(i) == ']') {
                    i++;
                }
            }
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == ',' || s.charAt(i) == '-')) {
                i++;                                            // the number of a first or second ending
            }
            barAccidentals.clear();
        }

        /** {@code (p}, {@code (p:q} or {@code (p:q:r}: the next r notes take q/p of their length. */
        void tuplet() {
            int p = digits(), q = -1, r = p;
            if (i < s.length() && s.charAt(i) == ':') {
                i++;
                q = i < s.length() && Character.isDigit(s.charAt(i)) ? digits() : -1;
                if (i < s.length() && s.charAt(i) == ':') {
                    i++;
                    r = i < s.length() && Character.isDigit(s.charAt(i)) ? digits() : p;
                }
            }
            if (q < 0) {
                boolean compound = meter * 8 % 3 == 0 && meter * 8 > 3;
                q = switch (p) {
                    case 2, 4, 8 -> 3;
                    case 3, 6 -> 2;
                    default -> compound ? 3 : 2;
                };
            }
            if (p == 0) {
                throw new IllegalArgumentException("a tuplet of 0 notes");
            }
            tupletFactor = (double) q / p;
            tupletLeft = r;
        }

        /** {@code >}: the note before is dotted and the next halved ({@code >>}: double dotted); {@code <} the other way. */
        void broken(char c) {
            int n = 0;
            while (i < s.length() && s.charAt(i) == c) {
                n++;
                i++;
            }
            if (notes.isEmpty()) {
                throw new IllegalArgumentException("'" + c + "' without a note before it");
            }
            double shortFactor = Math.pow(0.5, n), longFactor = 2 - shortFactor;
            Note last = notes.removeLast();
            notes.add(new Note(last.pitch(), last.sixteenths() * (c == '>' ? longFactor : shortFactor)));
            nextFactor = c == '>' ? shortFactor : longFactor;
        }

        /** {@code [CEG]2}: the highest note, with the first note's length. */
        void chord() {
            i++;
            int top = Integer.MIN_VALUE;
            double length = -1;
            while (i < s.length() && s.charAt(i) != ']') {
                char c = s.charAt(i);
                if (c == ' ' || DECORATIONS.indexOf(c) >= 0 || c == '-') {
                    i++;
                } else if (c == '!' || c == '"') {
                    int end = s.indexOf(c, i + 1);
                    i = end < 0 ? s.length() : end + 1;
                } else if (c == '^' || c == '_' || c == '=' || NOTE_LETTERS.indexOf(Character.toUpperCase(c)) >= 0) {
                    top = Math.max(top, pitch());
                    double m = multiplier();
                    length = length < 0 ? m : length;
                } else {
                    throw new IllegalArgumentException("cannot read '" + c + "' in a chord at column " + (i + 1));
                }
            }
            if (i >= s.length() || top == Integer.MIN_VALUE) {
                throw new IllegalArgumentException("an unclosed or empty chord");
            }
            i++;
            add(top, unit * length * multiplier());
        }

        /** Accidentals, a letter and octave marks, at {@link #i}: the MIDI pitch. */
        int pitch() {
            int start = i;
            while (i < s.length() && "^_=".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String accidental = s.substring(start, i);
            if (accidental.length() > 2 || (accidental.length() == 2 && accidental.charAt(0) != accidental.charAt(1))
                    || i >= s.length() || NOTE_LETTERS.indexOf(Character.toUpperCase(s.charAt(i))) < 0) {
                throw new IllegalArgumentException("cannot read the note at column " + (start + 1));
            }
            char letter = s.charAt(i++);
            int index = NOTE_LETTERS.indexOf(Character.toUpperCase(letter));
            int natural = 60 + NATURAL[index] + (Character.isLowerCase(letter) ? 12 : 0);
            while (i < s.length() && (s.charAt(i) == '\'' || s.charAt(i) == ',')) {
                natural += s.charAt(i++) == '\'' ? 12 : -12;
            }
            if (!accidental.isEmpty()) {
                barAccidentals.put(natural, alteration(accidental));
            }
            return natural + barAccidentals.getOrDefault(natural, key[index]);
        }

        /** A length multiplier at {@link #i}: {@code 3}, {@code /2}, {@code /}, {@code //}, {@code 3/2}, or none (1). */
        double multiplier() {
            double m = i < s.length() && Character.isDigit(s.charAt(i)) ? digits() : 1;
            while (i < s.length() && s.charAt(i) == '/') {
                i++;
                m /= i < s.length() && Character.isDigit(s.charAt(i)) ? digits() : 2;
            }
            if (!(m > 0) || Double.isInfinite(m)) {
                throw new IllegalArgumentException("a length of 0 at column " + i);
            }
            return m;
        }

        int digits() {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i)) && i - start < 4) {
                i++;
            }
            return Integer.parseInt(s.substring(start, i));
        }

        /** Appends a note (or rest), applying broken rhythm and tuplets; a tie to the same pitch lengthens the note before. */
        void add(int pitch, double sixteenths) {
            double length = sixteenths * nextFactor;
            nextFactor = 1;
            if (tupletLeft > 0) {
                length *= tupletFactor;
                tupletLeft--;
            }
            Note last = notes.isEmpty() ? null : notes.getLast();
            if (tie && last != null && !last.isRest() && last.pitch() == pitch) {
                notes.set(notes.size() - 1, new Note(pitch, last.sixteenths() + length));
            } else {
                notes.add(new Note(pitch, length));
            }
            tie = false;
        }
    }
}

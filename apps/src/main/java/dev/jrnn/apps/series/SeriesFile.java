package dev.jrnn.apps.series;

import dev.jrnn.apps.data.Table;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A user's series: columns of a CSV or TSV file ({@link Table}) read as numbers, in row order or,
 * with a time column, on its time grid. Gaps are filled and reported: a missing cell (empty, NA,
 * NaN) and a missing step (a time step that is a whole multiple of the usual one: the rows
 * between were left out) become values interpolated linearly between their neighbours; an
 * irregular step (not a whole multiple) is kept as the nearest whole number of steps.
 *
 * @param time     per step: the time column's numbers, or decimal years for dates, or the row number (from 1) without one
 * @param values   {@code [column][step]}, gaps interpolated
 * @param observed per step, whether every column had a value there (false where something was interpolated)
 * @param lines    per step, the file line it came from (0 for an inserted step)
 * @param timeAxis what {@code time} counts, for a picture's axis
 * @param gaps     one sentence on the gaps found and what was done, or "no gaps"
 */
public record SeriesFile(Path file, List<String> columns, double[] time, double[][] values, boolean[] observed, long[] lines,
                         String timeAxis, String gaps) {

    public int size() {
        return time.length;
    }

    /**
     * Reads {@code columns} of {@code file}; {@code timeColumn} may be null. A column with no value,
     * a time that is not after the row before, or a time that is neither a number nor an ISO date or
     * date-time is an {@link IOException} naming the file and line.
     */
    public static SeriesFile read(Path file, List<String> columns, String timeColumn) throws IOException {
        Table table = Table.read(file);
        int n = table.size();
        double[][] raw = new double[columns.size()][];
        for (int c = 0; c < columns.size(); c++) {
            raw[c] = table.numbers(columns.get(c));
            if (Arrays.stream(raw[c]).allMatch(Double::isNaN)) {
                throw new IOException(file + ": column " + columns.get(c) + " has no value");
            }
        }
        long[] rowLines = new long[n];
        Arrays.setAll(rowLines, table::line);
        if (timeColumn == null) {
            double[] time = new double[n];
            Arrays.setAll(time, i -> i + 1);
            return filled(file, columns, time, raw, rowLines, "row", 0, 0, 0);
        }
        Clock clock = Clock.of(table, timeColumn);
        // the usual step: the median of the steps between rows
        double[] steps = new double[n - 1];
        for (int i = 1; i < n; i++) {
            steps[i - 1] = clock.position[i] - clock.position[i - 1];
            if (!(steps[i - 1] > 0)) {
                throw new IOException(table.where(i) + "time " + clock.text[i] + " is not after the row before's " + clock.text[i - 1]
                        + " (expected rows in time order, one per time)");
            }
        }
        double step = n > 1 ? median(steps) : 1;
        int missingSteps = 0, irregular = 0;
        List<Integer> at = new ArrayList<>(); // each row's step number
        at.add(0);
        for (int i = 1; i < n; i++) {
            double k = steps[i - 1] / step;
            long whole = Math.max(1, Math.round(k));
            if (Math.abs(k - whole) > 1e-6 * whole) {
                irregular++;
            }
            if (whole > 100L * n + 10_000 - at.getLast()) { // filling it would take memory out of all proportion to the file
                throw new IOException(table.where(i) + "time " + clock.text[i] + " is " + whole + " usual steps after the row before's "
                        + clock.text[i - 1] + ": too large a gap to fill");
            }
            missingSteps += (int) whole - 1;
            at.add(at.getLast() + (int) whole);
        }
        int total = at.getLast() + 1;
        double[][] gridded = new double[raw.length][total];
        double[] time = new double[total];
        long[] lines = new long[total];
        for (double[] g : gridded) {
            Arrays.fill(g, Double.NaN);
        }
        Arrays.fill(time, Double.NaN);
        for (int i = 0; i < n; i++) {
            int t = at.get(i);
            time[t] = clock.axis[i];
            lines[t] = rowLines[i];
            for (int c = 0; c < raw.length; c++) {
                gridded[c][t] = raw[c][i];
            }
        }
        return filled(file, columns, interpolate(time), gridded, lines, clock.unit, missingSteps, irregular, step);
    }

    private static SeriesFile filled(Path file, List<String> columns, double[] time, double[][] values, long[] lines, String axis,
                                     int missingSteps, int irregular, double step) {
        boolean[] observed = new boolean[time.length];
        Arrays.fill(observed, true);
        int missingCells = 0;
        double[][] out = new double[values.length][];
        for (int c = 0; c < values.length; c++) {
            for (int t = 0; t < time.length; t++) {
                if (Double.isNaN(values[c][t])) {
                    observed[t] = false;
                    missingCells += lines[t] > 0 ? 1 : 0;
                }
            }
            out[c] = interpolate(values[c]);
        }
        List<String> found = new ArrayList<>();
        if (missingCells > 0) {
            found.add(missingCells + " missing cell" + (missingCells == 1 ? "" : "s"));
        }
        if (missingSteps > 0) {
            found.add(missingSteps + " missing time step" + (missingSteps == 1 ? "" : "s") + " (no row for them)");
        }
        String gaps = found.isEmpty() ? "no gaps" : String.join(" and ", found) + ", interpolated linearly between their neighbours";
        if (irregular > 0) {
            gaps += "; " + irregular + " irregular step" + (irregular == 1 ? "" : "s") + " (not a whole number of the usual "
                    + String.format(Locale.ROOT, "%.6g", step) + ") counted as the nearest whole number";
        }
        return new SeriesFile(file, List.copyOf(columns), time, out, observed, lines, axis, gaps);
    }

    /** A time column as positions on a line (for steps) and values on the picture's axis. */
    private record Clock(double[] position, double[] axis, String[] text, String unit) {

        /** Numbers as they are; ISO dates counted in days, or in months when every date falls on the same day of a month; date-times in seconds. */
        static Clock of(Table table, String column) throws IOException {
            String[] text = table.text(column);
            int n = text.length;
            double[] position = new double[n], axis = new double[n];
            String kind = null;
            LocalDate first = null;
            boolean sameDay = true;
            for (int i = 0; i < n; i++) {
                String s = text[i];
                String k;
                if (s.isEmpty()) {
                    throw new IOException(table.where(i) + "no time in column " + column + " (expected one on every row)");
                }
                try {
                    position[i] = Double.parseDouble(s);
                    axis[i] = position[i];
                    k = "number";
                    if (!Double.isFinite(position[i])) {
                        throw new IOException(table.where(i) + "time '" + s + "' in column " + column + " is not a finite number");
                    }
                } catch (NumberFormatException notNumber) {
                    try {
                        LocalDate d = LocalDate.parse(s);
                        first = first == null ? d : first;
                        sameDay &= d.getDayOfMonth() == first.getDayOfMonth();
                        position[i] = d.toEpochDay();
                        axis[i] = d.getYear() + (d.getDayOfYear() - 1) / (double) d.lengthOfYear();
                        k = "date";
                    } catch (DateTimeParseException notDate) {
                        try {
                            LocalDateTime d = LocalDateTime.parse(s.replace(' ', 'T'));
                            position[i] = d.toEpochSecond(ZoneOffset.UTC);
                            LocalDate day = d.toLocalDate();
                            axis[i] = d.getYear() + (day.getDayOfYear() - 1 + d.toLocalTime().toSecondOfDay() / 86400.0) / day.lengthOfYear();
                            k = "date-time";
                        } catch (DateTimeParseException notDateTime) {
                            throw new IOException(table.where(i) + "time '" + s + "' in column " + column
                                    + " is neither a number nor an ISO date (2024-01-31) or date-time (2024-01-31T12:00)");
                        }
                    }
                }
                if (kind != null && !kind.equals(k)) {
                    throw new IOException(table.where(i) + "time '" + s + "' in column " + column + " is a " + k + " where the rows before have a " + kind);
                }
                kind = k;
            }
            if (kind.equals("date") && sameDay) { // monthly (or yearly) data: steps of 28 to 31 days are all one month
                for (int i = 0; i < n; i++) {
                    LocalDate d = LocalDate.parse(text[i]);
                    position[i] = d.getYear() * 12 + d.getMonthValue() - 1;
                }
            }
            return new Clock(position, axis, text, kind.equals("number") ? column : "year");
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * Missing values (NaN) filled by linear interpolation between the nearest known values on each
     * side (the nearest one at either end); at least one value must be known.
     */
    public static double[] interpolate(double[] v) {
        double[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            if (!Double.isNaN(out[i])) {
                continue;
            }
            int before = i - 1, after = i;
            while (after < out.length && Double.isNaN(v[after])) {
                after++;
            }
            if (before < 0 && after == out.length) {
                throw new IllegalArgumentException("the series has no values");
            }
            for (int j = i; j < after; j++) {
                out[j] = before < 0 ? v[after] : after == out.length ? out[before]
                        : out[before] + (v[after] - out[before]) * (j - before) / (after - before);
            }
            i = after - 1;
        }
        return out;
    }
}

package dev.jrnn.apps.charts;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;

/**
 * Notes as a piano roll through JFreeChart, written as PNG: each note a bar from its onset to its
 * end at its pitch (MIDI numbers, labelled C4 for 60), one colour per part. A negative pitch is a
 * rest and is not drawn. {@code jrnn music}'s tunes.
 */
public final class PianoRoll {

    private static final String[] NAMES = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};

    private record Part(String name, double[] onset, double[] length, int[] pitch, Color color) {
    }

    private final String title, timeLabel;
    private final List<Part> parts = new ArrayList<>();

    public PianoRoll(String title, String timeLabel) {
        this.title = title;
        this.timeLabel = timeLabel;
    }

    /** Notes {@code i}: from {@code onset[i]} for {@code length[i]} at {@code pitch[i]}. */
    public PianoRoll notes(String name, double[] onset, double[] length, int[] pitch, Color color) {
        if (onset.length != length.length || onset.length != pitch.length) {
            throw new IllegalArgumentException("part \"" + name + "\": " + onset.length + " onsets, " + length.length
                    + " lengths and " + pitch.length + " pitches");
        }
        parts.add(new Part(name, onset, length, pitch, color));
        return this;
    }

    public void writePng(Path file, int width, int height) throws IOException {
        Png.write(file, chart(), width, height);
    }

    /** The name of MIDI pitch {@code p}: C4 for 60, A4 for 69. */
    static String name(int p) {
        return NAMES[Math.floorMod(p, 12)] + (Math.floorDiv(p, 12) - 1);
    }

    JFreeChart chart() {
        XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
        XYBarRenderer renderer = new XYBarRenderer();
        renderer.setUseYInterval(true);
        renderer.setBarPainter(new StandardXYBarPainter());
        renderer.setShadowVisible(false);
        renderer.setDrawBarOutline(true);
        int low = Integer.MAX_VALUE, high = Integer.MIN_VALUE;
        for (int k = 0; k < parts.size(); k++) {
            Part part = parts.get(k);
            XYIntervalSeries notes = new XYIntervalSeries(part.name());
            for (int i = 0; i < part.pitch().length; i++) {
                if (part.pitch()[i] >= 0 && Double.isFinite(part.onset()[i]) && part.length()[i] > 0) {
                    int p = part.pitch()[i];
                    notes.add(part.onset()[i], part.onset()[i], part.onset()[i] + part.length()[i], p, p - 0.4, p + 0.4);
                    low = Math.min(low, p);
                    high = Math.max(high, p);
                }
            }
            data.addSeries(notes);
            renderer.setSeriesPaint(k, part.color());
            renderer.setSeriesOutlinePaint(k, part.color().darker());
        }
        Png.requireSomething(title, low <= high);
        NumberAxis pitch = new NumberAxis("pitch");
        pitch.setRange(low - 1.5, high + 1.5);
        pitch.setTickUnit(new NumberTickUnit(high - low <= 30 ? 1 : 12, new NoteNames()));
        NumberAxis time = LineChart.axis(timeLabel);
        time.setAutoRangeIncludesZero(true);
        XYPlot plot = new XYPlot(data, time, pitch, renderer);
        return Png.chart(title, plot, true);
    }

    /** Tick labels of the pitch axis: note names. */
    private static final class NoteNames extends NumberFormat {
        @Override
        public StringBuffer format(double number, StringBuffer to, FieldPosition pos) {
            return to.append(name((int) Math.round(number)));
        }

        @Override
        public StringBuffer format(long number, StringBuffer to, FieldPosition pos) {
            return to.append(name((int) number));
        }

        @Override
        public Number parse(String source, ParsePosition pos) {
            throw new UnsupportedOperationException("note names are only written");
        }
    }
}

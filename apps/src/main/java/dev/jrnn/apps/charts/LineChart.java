package dev.jrnn.apps.charts;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickUnitSource;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A line chart through JFreeChart, written as PNG ({@link Png}): lines (a NaN breaks a line),
 * dots, shaded x-ranges and dashed vertical markers, with axes, ticks and a legend. Used for
 * forecasts ({@code jrnn forecast}), readings and flags ({@code jrnn anomalies}), the pole's angle
 * ({@code jrnn control}) and loss curves ({@link LossChart}).
 *
 * <p>A chart without a single finite point is an error ({@link IllegalArgumentException} naming
 * the chart), not an empty frame: a picture of nothing hides the bug that emptied it.
 */
public final class LineChart {

    private record Series(String name, double[] x, double[] y, Color color, boolean dots) {
    }

    private record Span(double from, double to) {
    }

    private record Marker(String name, double x) {
    }

    private final String title, xLabel, yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Span> spans = new ArrayList<>();
    private String spanName;
    private Color spanColor;
    private final List<Marker> markers = new ArrayList<>();
    private boolean logarithmic;

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** A line through the points {@code (x[i], y[i])}, broken where y is NaN. */
    public LineChart line(String name, double[] x, double[] y, Color color) {
        return add(new Series(name, x, y, color, false));
    }

    /** A dot at each point {@code (x[i], y[i])} whose y is not NaN. */
    public LineChart dots(String name, double[] x, double[] y, Color color) {
        return add(new Series(name, x, y, color, true));
    }

    private LineChart add(Series s) {
        if (s.x().length != s.y().length) {
            throw new IllegalArgumentException("series \"" + s.name() + "\": " + s.x().length + " x values but " + s.y().length + " y values");
        }
        if (series.stream().anyMatch(o -> o.name().equals(s.name()))) {
            throw new IllegalArgumentException("chart \"" + title + "\" already has a series \"" + s.name() + "\"");
        }
        series.add(s);
        return this;
    }

    /** Shades {@code [from, to]} on the x axis (joined to the previous span where they touch); all spans share one legend entry. */
    public LineChart span(String name, double from, double to, Color color) {
        Span last = spans.isEmpty() ? null : spans.get(spans.size() - 1);
        if (last != null && from <= last.to() && to >= last.from()) {
            spans.set(spans.size() - 1, new Span(Math.min(from, last.from()), Math.max(to, last.to())));
        } else {
            spans.add(new Span(from, to));
        }
        spanName = name;
        spanColor = color;
        return this;
    }

    /** A dashed vertical line at {@code x}, labelled at the top. */
    public LineChart marker(String name, double x) {
        markers.add(new Marker(name, x));
        return this;
    }

    /** A logarithmic y axis (powers of ten); a value at or below 0 is then not drawn. */
    public LineChart logarithmicY() {
        logarithmic = true;
        return this;
    }

    /** Draws the chart into {@code file} (atomically), {@code width x height} pixels. */
    public void writePng(Path file, int width, int height) throws IOException {
        Png.write(file, chart(), width, height);
    }

    /** The JFreeChart chart (for tests: where the axes put a value). */
    JFreeChart chart() {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        boolean finite = false;
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            XYSeries points = new XYSeries(s.name(), false, true);
            for (int k = 0; k < s.x().length; k++) {
                if (Double.isFinite(s.x()[k])) {
                    double y = s.y()[k];
                    boolean drawn = Double.isFinite(y) && (!logarithmic || y > 0);
                    points.add(s.x()[k], drawn ? y : Double.NaN); // NaN: no point, a gap in the line
                    finite |= drawn;
                }
            }
            data.addSeries(points);
            renderer.setSeriesPaint(i, s.color());
            renderer.setSeriesStroke(i, new BasicStroke(1.6f));
            renderer.setSeriesLinesVisible(i, !s.dots());
            renderer.setSeriesShapesVisible(i, s.dots());
            renderer.setSeriesShape(i, new Ellipse2D.Double(-3, -3, 7, 7));
        }
        Png.requireSomething(title, finite);
        ValueAxis y = axis(yLabel);
        if (logarithmic) {
            LogAxis log = new LogAxis(yLabel);
            log.setBase(10);
            log.setTickUnit(new NumberTickUnit(1)); // a tick per power of ten (the unit is in exponents)
            log.setNumberFormatOverride(new DecimalFormat("0.###", DecimalFormatSymbols.getInstance(Locale.ROOT)));
            y = log;
        }
        XYPlot plot = new XYPlot(data, axis(xLabel), y, renderer);
        for (Span s : spans) {
            IntervalMarker shade = new IntervalMarker(s.from(), s.to(), spanColor);
            shade.setAlpha(1f);
            plot.addDomainMarker(shade, Layer.BACKGROUND);
        }
        for (Marker m : markers) {
            ValueMarker line = new ValueMarker(m.x(), Color.GRAY,
                    new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
            line.setLabel(m.name());
            line.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            line.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            plot.addDomainMarker(line, Layer.FOREGROUND);
        }
        if (spanName != null) {
            LegendItemCollection legend = new LegendItemCollection();
            legend.addAll(plot.getLegendItems());
            legend.add(new LegendItem(spanName, null, null, null, new Rectangle2D.Double(-6, -4, 12, 8), spanColor));
            plot.setFixedLegendItems(legend);
        }
        return Png.chart(title, plot, true);
    }

    /** A value axis that need not include 0, with ticks 1, 2 or 5 times a power of ten apart, labelled without grouping ("2020", not "2,020"). */
    static NumberAxis axis(String label) {
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        axis.setStandardTickUnits(TICKS);
        return axis;
    }

    private static final TickUnitSource TICKS = ticks();

    private static TickUnitSource ticks() {
        TickUnits units = new TickUnits();
        DecimalFormatSymbols symbols = DecimalFormatSymbols.getInstance(Locale.ROOT);
        for (int e = -8; e <= 12; e++) {
            String pattern = e >= 0 ? "0" : "0." + "0".repeat(-e);
            for (int m : new int[] {1, 2, 5}) {
                units.add(new NumberTickUnit(m * Math.pow(10, e), new DecimalFormat(pattern, symbols), 0));
            }
        }
        return units;
    }
}

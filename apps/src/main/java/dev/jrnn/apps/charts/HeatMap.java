package dev.jrnn.apps.charts;

import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * A matrix as a heat map through JFreeChart's {@code XYBlockRenderer}, written as PNG: one row of
 * cells per row name (the first at the top), one column per column name, each cell shaded from
 * white (the smallest value, or 0 if none is smaller) to dark blue (the largest), with a colour
 * bar and, optionally, a text in each cell. A NaN cell is grey. Confusion matrices
 * ({@code jrnn digits}) and attention maps.
 */
public final class HeatMap {

    static final Color LOW = Color.WHITE, HIGH = new Color(8, 48, 107), MISSING = new Color(200, 200, 200);

    private final String title, xLabel, yLabel, valueLabel;
    private final List<String> columns, rows;
    private final double[][] values;
    private String[][] texts;

    /** {@code values[row][column]}, one row per name in {@code rows}, one column per name in {@code columns}. */
    public HeatMap(String title, String xLabel, List<String> columns, String yLabel, List<String> rows, String valueLabel, double[][] values) {
        if (rows.isEmpty() || columns.isEmpty()) {
            throw new IllegalArgumentException("heat map \"" + title + "\": no cells (" + rows.size() + " rows, " + columns.size() + " columns)");
        }
        if (values.length != rows.size()) {
            throw new IllegalArgumentException("heat map \"" + title + "\": " + values.length + " rows of values for " + rows.size() + " row names");
        }
        for (double[] row : values) {
            if (row.length != columns.size()) {
                throw new IllegalArgumentException("heat map \"" + title + "\": a row of " + row.length + " values for " + columns.size() + " columns");
            }
        }
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.valueLabel = valueLabel;
        this.columns = columns;
        this.rows = rows;
        this.values = values;
    }

    /** A text in each cell, {@code texts[row][column]} (null or empty: none). */
    public HeatMap texts(String[][] texts) {
        this.texts = texts;
        return this;
    }

    public void writePng(Path file, int width, int height) throws IOException {
        Png.write(file, chart(), width, height);
    }

    JFreeChart chart() {
        int n = rows.size() * columns.size();
        double[][] xyz = new double[3][n];
        double low = 0, high = Double.NEGATIVE_INFINITY;
        for (int r = 0, i = 0; r < rows.size(); r++) {
            for (int c = 0; c < columns.size(); c++, i++) {
                xyz[0][i] = c;
                xyz[1][i] = r;
                xyz[2][i] = values[r][c];
                if (Double.isFinite(values[r][c])) {
                    low = Math.min(low, values[r][c]);
                    high = Math.max(high, values[r][c]);
                }
            }
        }
        Png.requireSomething(title, high > Double.NEGATIVE_INFINITY);
        Shade shade = new Shade(low, high > low ? high : low + 1);
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("values", xyz);
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(shade);
        XYPlot plot = new XYPlot(data, symbols(xLabel, columns), symbols(yLabel, rows), renderer);
        ((SymbolAxis) plot.getRangeAxis()).setInverted(true);
        plot.getDomainAxis().setVerticalTickLabels(columns.stream().anyMatch(c -> c.length() > 3)); // words side by side would overlap
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        if (texts != null) {
            Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(8, Math.min(14, 300 / Math.max(rows.size(), columns.size()))));
            for (int r = 0; r < rows.size(); r++) {
                for (int c = 0; c < columns.size(); c++) {
                    String text = texts[r][c];
                    if (text != null && !text.isEmpty()) {
                        XYTextAnnotation label = new XYTextAnnotation(text, c, r);
                        label.setFont(font);
                        label.setPaint(shade.fraction(values[r][c]) > 0.5 ? Color.WHITE : Color.BLACK);
                        plot.addAnnotation(label);
                    }
                }
            }
        }
        JFreeChart chart = Png.chart(title, plot, false);
        NumberAxis scaleAxis = new NumberAxis(valueLabel);
        scaleAxis.setRange(shade.getLowerBound(), shade.getUpperBound());
        PaintScaleLegend bar = new PaintScaleLegend(shade, scaleAxis);
        bar.setPosition(RectangleEdge.RIGHT);
        bar.setMargin(new RectangleInsets(40, 10, 40, 10));
        bar.setStripWidth(14);
        bar.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(bar);
        return chart;
    }

    private static SymbolAxis symbols(String label, List<String> names) {
        SymbolAxis axis = new SymbolAxis(label, names.toArray(String[]::new));
        axis.setGridBandsVisible(false);
        axis.setRange(-0.5, names.size() - 0.5);
        return axis;
    }

    /** White to dark blue, linear in the value; NaN grey. */
    record Shade(double getLowerBound, double getUpperBound) implements PaintScale {

        double fraction(double value) {
            return Math.max(0, Math.min(1, (value - getLowerBound) / (getUpperBound - getLowerBound)));
        }

        @Override
        public Paint getPaint(double value) {
            if (!Double.isFinite(value)) {
                return MISSING;
            }
            double f = fraction(value);
            return new Color(mix(LOW.getRed(), HIGH.getRed(), f), mix(LOW.getGreen(), HIGH.getGreen(), f), mix(LOW.getBlue(), HIGH.getBlue(), f));
        }

        private static int mix(int a, int b, double f) {
            return (int) Math.round(a + (b - a) * f);
        }
    }
}

package dev.jrnn.apps.charts;

import dev.jrnn.models.io.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;

/**
 * Writes a JFreeChart chart as PNG, atomically ({@link AtomicFiles}: a temporary file in the same
 * folder, renamed over the target), with AWT headless so no display is needed. Also the look every
 * chart of jrnn shares: white plot, light grey grid, the title in bold.
 *
 * <p>JFreeChart is the one charting library of the project (issue 17.6): it draws line charts,
 * heat maps ({@code XYBlockRenderer}) and interval bars (piano rolls) with no dependency of its
 * own. It writes PNG; its SVG needs another library (JFreeSVG), so jrnn writes PNG only. It draws
 * text with the system's fonts: a server without any font installed (no fontconfig fonts) cannot
 * draw charts.
 */
public final class Png {

    static {
        System.setProperty("java.awt.headless", "true"); // before AWT starts: no display on a server
    }

    private Png() {
    }

    /** Draws {@code chart} at {@code width x height} pixels into {@code file}. */
    public static void write(Path file, JFreeChart chart, int width, int height) throws IOException {
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, width, height));
    }

    /** A chart of {@code plot} in the shared look, with a legend when {@code legend}. */
    static JFreeChart chart(String title, XYPlot plot, boolean legend) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(220, 220, 220));
        plot.setRangeGridlinePaint(new Color(220, 220, 220));
        plot.setOutlinePaint(Color.GRAY);
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Throws, naming the chart, unless it has {@code something} (a finite value) to draw. */
    static void requireSomething(String title, boolean something) {
        if (!something) {
            throw new IllegalArgumentException("chart \"" + title + "\": nothing to draw (no finite values)");
        }
    }
}

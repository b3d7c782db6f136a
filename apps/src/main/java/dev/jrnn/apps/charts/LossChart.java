package dev.jrnn.apps.charts;

import dev.jrnn.models.train.Trainer;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A training run's loss curves as PNG: the training loss of every step and, if validated, the validation loss. */
public final class LossChart {

    static final Color TRAINING = new Color(31, 119, 180), VALIDATION = new Color(214, 39, 40);

    private LossChart() {
    }

    /** Draws {@code history}'s curves into {@code file} (atomically); a history without a finite loss is an error. */
    public static void writePng(Path file, String title, Trainer.History history) throws IOException {
        chart(title, history).writePng(file, 900, 450);
    }

    static LineChart chart(String title, Trainer.History history) {
        LineChart chart = new LineChart(title, "step", "loss");
        chart.line("training", x(history.training()), y(history.training()), TRAINING);
        if (!history.validation().isEmpty()) {
            chart.line("validation", x(history.validation()), y(history.validation()), VALIDATION);
        }
        return chart;
    }

    private static double[] x(List<double[]> points) {
        return points.stream().mapToDouble(p -> p[0]).toArray();
    }

    private static double[] y(List<double[]> points) {
        return points.stream().mapToDouble(p -> p[1]).toArray();
    }
}

package dev.jrnn.apps.series;

/** The error and detection measures every model and baseline is scored by (one implementation for all). */
public final class Metrics {

    private Metrics() {
    }

    /** Running sums of forecast errors: root mean squared and mean absolute error. */
    public static final class Errors {
        private double squared, absolute;
        private long count;

        public void add(double predicted, double truth) {
            double e = predicted - truth;
            squared += e * e;
            absolute += Math.abs(e);
            count++;
        }

        public double rmse() {
            return Math.sqrt(squared / count);
        }

        public double mae() {
            return absolute / count;
        }

        public long count() {
            return count;
        }
    }

    /** Counts of flagged readings against labelled ones. */
    public record Detection(int truePositives, int falsePositives, int falseNegatives) {

        /** Scores {@code flagged} against {@code events} over {@code [from, to)}. */
        public static Detection of(boolean[] flagged, boolean[] events, int from, int to) {
            int tp = 0, fp = 0, fn = 0;
            for (int i = from; i < to; i++) {
                tp += flagged[i] && events[i] ? 1 : 0;
                fp += flagged[i] && !events[i] ? 1 : 0;
                fn += !flagged[i] && events[i] ? 1 : 0;
            }
            return new Detection(tp, fp, fn);
        }

        public Detection plus(Detection o) {
            return new Detection(truePositives + o.truePositives, falsePositives + o.falsePositives, falseNegatives + o.falseNegatives);
        }

        /** Share of flags that are events (0 when nothing is flagged). */
        public double precision() {
            return truePositives == 0 ? 0 : truePositives / (double) (truePositives + falsePositives);
        }

        /** Share of events flagged. */
        public double recall() {
            return truePositives == 0 ? 0 : truePositives / (double) (truePositives + falseNegatives);
        }

        public double f1() {
            double p = precision(), r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
    }
}

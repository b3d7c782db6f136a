package dev.jrnn.spark;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The local-mode figures of the README's Spark table: sequences scored per second and training
 * steps per second, with 1 and 2 task slots, for a sentiment-sized GRU classifier (vocabulary 5000,
 * embedding 64, GRU 128, 2 classes; sequences of 8-64 tokens). Run by {@code scripts/spark-bench}
 * on a quiet machine; not a test.
 *
 * <p>{@code SparkBench [rows (20000)] [batch (64)] [train steps (30)] [backend (auto)]}
 */
public final class SparkBench {

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        String backend = args.length > 3 ? args[3] : "auto";
        SplittableRandom r = new SplittableRandom(1);
        List<Row> data = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            data.add(RowFactory.create((long) i, LocalSpark.asList(r.ints(8 + r.nextInt(57), 0, 5000).toArray()), r.nextInt(2)));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType)
                .add("sequence", DataTypes.createArrayType(DataTypes.IntegerType)).add("label", DataTypes.IntegerType);
        for (int slots : new int[] {1, 2}) {
            SparkSession spark = SparkSession.builder().appName("jrnn-spark-bench").master("local[" + slots + "]")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "4").getOrCreate();
            try (SequenceClassifier model = new SequenceClassifier(5000, 64, CellKind.GRU, 128, 1, Direction.UNIDIRECTIONAL, 2, 3)) {
                Dataset<Row> in = spark.createDataFrame(data, schema).repartition(4 * slots).localCheckpoint();
                SequenceScorer scorer = SequenceScorer.of(spark, Checkpoint.toBytes(model, Map.of())).batchSize(batch).backend(backend);
                scorer.transform(in.limit(2000)).write().format("noop").mode("overwrite").save(); // warm: JIT, the model loaded
                long t0 = System.nanoTime();
                scorer.transform(in).write().format("noop").mode("overwrite").save();
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.out.printf("score  slots=%d rows=%d batch=%d backend=%s: %.0f sequences/s (%.2f s)%n",
                        slots, rows, batch, backend, rows / seconds, seconds);

                model.train();
                try (DataParallelTrainer.Run run = new DataParallelTrainer(spark, model, Optimizer.adam(model, 1e-3))
                        .inputColumn("sequence").targetColumn("label").batchSize(batch).backend(backend).start(in)) {
                    for (int s = 0; s < 3; s++) {
                        run.step(); // warm
                    }
                    long t1 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        run.step();
                    }
                    double sec = (System.nanoTime() - t1) / 1e9;
                    System.out.printf("train  slots=%d batch=%d backend=%s: %.2f steps/s (%.0f sequences/s; %d steps in %.2f s)%n",
                            slots, batch, backend, steps / sec, steps * batch / sec, steps, sec);
                }
            } finally {
                spark.stop();
            }
        }
    }
}

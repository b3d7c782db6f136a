package dev.jrnn.spark;

import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.StructType;

/**
 * Scores a {@link Dataset} of sequences with a trained jrnn model ({@link SequenceClassifier},
 * {@link SequenceTagger}, {@link SequenceRegressor}, {@link LanguageModel}), in Spark.
 *
 * <pre>{@code
 * SequenceScorer scorer = SequenceScorer.of(spark, Path.of("sentiment.safetensors"))  // a Checkpoint.saveModel file
 *         .inputColumn("tokens").batchSize(64);
 * Dataset<Row> scored = scorer.transform(reviews);          // reviews + a struct column "jrnn"
 * scored.select("id", "jrnn.prediction", "jrnn.scores");
 * scorer.register(spark, "jrnn_predict");                   // SQL: SELECT jrnn_predict(tokens).prediction FROM reviews
 * }</pre>
 *
 * <p>The checkpoint's bytes are broadcast once. Each executor JVM loads one model from them (a
 * cache keyed by their SHA-256 and the backend), shared by all its tasks; each partition is read in
 * batches of {@link #batchSize} rows, each batch one model call with every sequence at its own
 * length ({@code SequenceRegressor}, which reads equal lengths: one call per length in the batch).
 * The input column holds token ids ({@code array<int>}, for models with an embedding) or feature
 * frames ({@code array<array<float>>}, one array of the model's input size per step).
 *
 * <p>The scores are one struct column ({@link #outputSchema()}: {@code prediction} and, per
 * model, {@code scores} or {@code log_probability}; see the README). A null or empty sequence
 * gets a null struct. A malformed one (a frame of the wrong size, a null value, a token id outside
 * the vocabulary) fails the job with an {@link IllegalArgumentException} naming the column, the
 * partition and the row's place in it (and its {@link #idColumn} value, if set), and what was expected.
 *
 * <p>The SQL function ({@link #register}) scores one row per call (batch 1) on the same shared
 * model: the Dataset API is the faster path for large tables.
 */
public final class SequenceScorer implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> checkpoint;
    private final String hash;
    private final Topology topology;
    private final String inputColumn, outputColumn, idColumn, backend;
    private final int batchSize;

    private SequenceScorer(Broadcast<byte[]> checkpoint, String hash, Topology topology, String inputColumn,
                           String outputColumn, String idColumn, String backend, int batchSize) {
        this.checkpoint = checkpoint;
        this.hash = hash;
        this.topology = topology;
        this.inputColumn = inputColumn;
        this.outputColumn = outputColumn;
        this.idColumn = idColumn;
        this.backend = backend;
        this.batchSize = batchSize;
    }

    /**
     * A scorer of the model in {@code checkpoint} ({@link Checkpoint#toBytes}, or a
     * {@link Checkpoint#saveModel} file's content), broadcast now. The model is loaded once here
     * too, so a bad checkpoint fails on the driver ({@link IOException} saying what).
     */
    public static SequenceScorer of(SparkSession spark, byte[] checkpoint) throws IOException {
        String hash = sha256(checkpoint);
        Module model = Checkpoint.loadModel(checkpoint, source(hash)).model();
        Topology topology = Topology.of(model);
        Module.closeIfNeeded(model);
        Broadcast<byte[]> b = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(checkpoint);
        return new SequenceScorer(b, hash, topology, "sequence", "jrnn", null, "auto", 64);
    }

    /** {@link #of(SparkSession, byte[])} of a checkpoint file. */
    public static SequenceScorer of(SparkSession spark, Path checkpoint) throws IOException {
        try {
            return of(spark, Files.readAllBytes(checkpoint));
        } catch (IOException e) {
            throw new IOException(checkpoint + ": " + e.getMessage(), e);
        }
    }

    /** The column holding the sequences (default {@code sequence}). */
    public SequenceScorer inputColumn(String name) {
        return new SequenceScorer(checkpoint, hash, topology, Objects.requireNonNull(name), outputColumn, idColumn, backend, batchSize);
    }

    /** The struct column the scores go into (default {@code jrnn}). */
    public SequenceScorer outputColumn(String name) {
        return new SequenceScorer(checkpoint, hash, topology, inputColumn, Objects.requireNonNull(name), idColumn, backend, batchSize);
    }

    /** A column whose value names a malformed row in the error (default none: its place in its partition). */
    public SequenceScorer idColumn(String name) {
        return new SequenceScorer(checkpoint, hash, topology, inputColumn, outputColumn, name, backend, batchSize);
    }

    /** The backend the executors run the model on: {@code auto} (default), {@code simd}, {@code onednn}, {@code reference}. */
    public SequenceScorer backend(String name) {
        return new SequenceScorer(checkpoint, hash, topology, inputColumn, outputColumn, idColumn, Objects.requireNonNull(name), batchSize);
    }

    /** Rows per model call (default 64). */
    public SequenceScorer batchSize(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + rows);
        }
        return new SequenceScorer(checkpoint, hash, topology, inputColumn, outputColumn, idColumn, backend, rows);
    }

    /** The struct of scores each row gets. */
    public StructType outputSchema() {
        return topology.schema();
    }

    /** {@code data} with the scores of its {@link #inputColumn} in the struct column {@link #outputColumn}. */
    public Dataset<Row> transform(Dataset<Row> data) {
        StructType in = data.schema();
        int column = fieldIndex(in, inputColumn, "input");
        int id = idColumn == null ? -1 : fieldIndex(in, idColumn, "id");
        if (java.util.Arrays.asList(in.fieldNames()).contains(outputColumn)) {
            throw new IllegalArgumentException("the data already has a column '" + outputColumn + "': choose another outputColumn");
        }
        StructType out = in.add(outputColumn, topology.schema(), true);
        return data.mapPartitions((org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row>)
                rows -> new Scoring(rows, column, id), Encoders.row(out));
    }

    private static int fieldIndex(StructType schema, String name, String what) {
        List<String> names = java.util.Arrays.asList(schema.fieldNames());
        if (!names.contains(name)) {
            throw new IllegalArgumentException("no " + what + " column '" + name + "' in " + names);
        }
        return names.indexOf(name);
    }

    /**
     * Registers the SQL function {@code name}: {@code name(sequence)} is the struct of scores
     * ({@link #outputSchema()}), null for a null or empty sequence.
     */
    public void register(SparkSession spark, String name) {
        spark.udf().register(name, (UDF1<Object, Row>) cell -> {
            Object input;
            try {
                input = topology.read(cell);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage() + "; expected " + topology.expected(), e);
            }
            if (input == null) {
                return null;
            }
            try (ExecutorModels.Lease lease = lease()) {
                return topology.score(lease.model(), List.of(input))[0];
            }
        }, topology.schema());
    }

    private ExecutorModels.Lease lease() {
        return ExecutorModels.shared(hash + "/" + backend, () -> load(checkpoint.value(), hash, backend));
    }

    private static Module load(byte[] bytes, String hash, String backend) {
        try {
            return ExecutorModels.onBackend(Checkpoint.loadModel(bytes, source(hash)).model(), backend);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String source(String hash) {
        return "the broadcast model (sha256 " + hash.substring(0, 12) + ")";
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    /** One partition's rows with their scores, read and scored a batch at a time. */
    private final class Scoring implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final int column, id, partition;
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private long position;

        Scoring(Iterator<Row> rows, int column, int id) {
            this.rows = rows;
            this.column = column;
            this.id = id;
            TaskContext task = TaskContext.get();
            this.partition = task == null ? -1 : task.partitionId();
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && rows.hasNext()) {
                scoreBatch();
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void scoreBatch() {
            List<Row> batch = new ArrayList<>(batchSize);
            List<Object> inputs = new ArrayList<>(batchSize);
            List<Integer> scored = new ArrayList<>(batchSize);
            while (batch.size() < batchSize && rows.hasNext()) {
                Row row = rows.next();
                Object input;
                try {
                    input = topology.read(row.get(column));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("column '" + inputColumn + "', partition " + partition + ", row " + position
                            + (id >= 0 ? " (" + idColumn + " = " + row.get(id) + ")" : "") + ": " + e.getMessage()
                            + "; expected " + topology.expected(), e);
                }
                position++;
                if (input != null) {
                    scored.add(batch.size());
                    inputs.add(input);
                }
                batch.add(row);
            }
            Row[] scores = new Row[batch.size()];
            if (!inputs.isEmpty()) {
                try (ExecutorModels.Lease lease = lease()) {
                    Row[] s = topology.score(lease.model(), inputs);
                    for (int i = 0; i < s.length; i++) {
                        scores[scored.get(i)] = s[i];
                    }
                }
            }
            for (int i = 0; i < batch.size(); i++) {
                Row row = batch.get(i);
                Object[] values = new Object[row.length() + 1];
                for (int c = 0; c < row.length(); c++) {
                    values[c] = row.get(c);
                }
                values[row.length()] = scores[i];
                ready.add(RowFactory.create(values));
            }
        }
    }

    /** Settings as text, for logs. */
    @Override
    public String toString() {
        return "SequenceScorer" + Map.of("model", topology.kind() + " sha256 " + hash.substring(0, 12), "input", inputColumn,
                "output", outputColumn, "backend", backend, "batch", batchSize);
    }
}

package dev.jrnn.spark;

import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Parameter;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Optimizer;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Data-parallel training of a topology model ({@link SequenceClassifier}, {@link SequenceTagger},
 * {@link SequenceRegressor}, {@link LanguageModel}) on a {@link Dataset}, with the result of
 * single-machine training on the same batches.
 *
 * <pre>{@code
 * SequenceClassifier model = new SequenceClassifier(5000, 64, CellKind.GRU, 128, 1, Direction.UNIDIRECTIONAL, 2, 7);
 * Optimizer adam = Optimizer.adam(model, 1e-3);
 * try (DataParallelTrainer.Run run = new DataParallelTrainer(spark, model, adam)
 *         .inputColumn("tokens").targetColumn("label").batchSize(64).maxNorm(1.0).seed(7).start(reviews)) {
 *     for (int step = 0; step < 1000; step++) {
 *         double loss = run.step();
 *     }
 * }   // the model holds the trained weights; Checkpoint.saveModel it
 * }</pre>
 *
 * <p><b>One step.</b> The step's batch is {@link #batchSize} rows of a seeded shuffle of the data
 * (a new shuffle each epoch: {@link #batchRows}). The model's weights are broadcast; every
 * partition computes, at those weights, the gradient of the loss over its rows of the batch (in a
 * model of its own, leased from its executor's cache) and weights it by how many terms of the
 * loss it holds; {@code treeAggregate} sums these in double precision; the driver divides by the
 * batch's count (the models' losses are means: over rows, a tagger's labelled steps, a language
 * model's predicted tokens), clips the global norm to {@link #maxNorm} and applies one optimizer
 * step, as the model's own {@code trainStep} on the whole batch would. The rows are read once and
 * cached on the executors, one array per partition, so a step touches only its batch's rows.
 *
 * <p><b>Equal to one machine</b> up to the order of floating-point sums (the test compares every
 * parameter after several steps), for models without dropout: a partition draws its own dropout
 * masks. The executors rebuild the model from its description ({@code ModelDescription}):
 * settings outside it (a classifier's head dropout) are not applied there.
 *
 * <p><b>Cost per step</b>: one broadcast of the weights and one all-reduce (tree) of a gradient
 * the size of the model, besides the computation: for small models and batches these dominate.
 */
public final class DataParallelTrainer {

    private final SparkSession spark;
    private final Module model;
    private final Optimizer optimizer;
    private final Topology topology;
    private String inputColumn = "sequence", targetColumn = "label", backend = "auto";
    private int batchSize = 32;
    private double maxNorm = Double.POSITIVE_INFINITY;
    private long seed;

    /** Trains {@code model} with {@code optimizer} (built over the model's parameters) on the driver. */
    public DataParallelTrainer(SparkSession spark, Module model, Optimizer optimizer) {
        this.spark = Objects.requireNonNull(spark);
        this.model = Objects.requireNonNull(model);
        this.optimizer = Objects.requireNonNull(optimizer);
        this.topology = Topology.of(model);
    }

    /** The column of sequences (default {@code sequence}): {@code array<int>} token ids or {@code array<array<float>>} frames. */
    public DataParallelTrainer inputColumn(String name) {
        inputColumn = Objects.requireNonNull(name);
        return this;
    }

    /**
     * The column of targets (default {@code label}): a class ({@code int}) for a classifier, a
     * class per step ({@code array<int>}, -1 not counted) for a tagger, {@code array<float>} for a
     * regressor; a language model has none (it predicts each next token): pass null.
     */
    public DataParallelTrainer targetColumn(String name) {
        targetColumn = name;
        return this;
    }

    /** Rows per step, across all partitions (default 32). */
    public DataParallelTrainer batchSize(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + rows);
        }
        batchSize = rows;
        return this;
    }

    /** The global gradient norm is clipped to this before each step (default: no clipping). */
    public DataParallelTrainer maxNorm(double norm) {
        if (!(norm > 0)) {
            throw new IllegalArgumentException("maxNorm must be positive, got " + norm);
        }
        maxNorm = norm;
        return this;
    }

    /** The seed of the batches' shuffle (default 0). */
    public DataParallelTrainer seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** The backend the executors compute gradients on (default {@code auto}). */
    public DataParallelTrainer backend(String name) {
        backend = Objects.requireNonNull(name);
        return this;
    }

    /**
     * The data's row indices (in the Dataset's order: partition by partition) that make step
     * {@code step}'s batch, in the order the batch is assembled: rows {@code [j*B, (j+1)*B)} of
     * epoch {@code e}'s shuffle (Fisher-Yates seeded by {@code seed} and {@code e}), the last batch
     * of an epoch shorter. A single-machine run that takes these batches trains the same model.
     */
    public static int[] batchRows(int rows, int batchSize, long seed, long step) {
        int perEpoch = (rows + batchSize - 1) / batchSize;
        return batchOf(shuffle(rows, seed, step / perEpoch), batchSize, step % perEpoch);
    }

    private static int[] batchOf(int[] order, int batchSize, long index) {
        int from = (int) index * batchSize;
        return java.util.Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
    }

    private static int[] shuffle(int rows, long seed, long epoch) {
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = rows - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * Reads {@code data} into the executors' memory (each row checked: a malformed one fails here,
     * named by partition and place) and returns the run that trains on it, step by step.
     */
    public Run start(Dataset<Row> data) {
        boolean lm = topology.kind() == Topology.Kind.LANGUAGE_MODEL;
        if (lm && targetColumn != null && !"label".equals(targetColumn)) {
            throw new IllegalArgumentException("a language model has no target column (it predicts each next token): targetColumn(null)");
        }
        List<String> names = java.util.Arrays.asList(data.schema().fieldNames());
        for (String c : lm ? List.of(inputColumn) : List.of(inputColumn, Objects.requireNonNull(targetColumn, "targetColumn"))) {
            if (!names.contains(c)) {
                throw new IllegalArgumentException("no column '" + c + "' in " + names);
            }
        }
        Dataset<Row> columns = lm ? data.select(inputColumn) : data.select(inputColumn, targetColumn);
        Topology t = topology;
        String input = inputColumn, target = targetColumn;
        JavaRDD<Shard> shards = columns.javaRDD().mapPartitionsWithIndex((partition, rows) -> {
            List<Topology.Example> examples = new ArrayList<>();
            while (rows.hasNext()) {
                Row row = rows.next();
                Object in;
                Object out;
                try {
                    in = t.read(row.get(0));
                    if (in == null) {
                        throw new IllegalArgumentException("the sequence is " + (row.isNullAt(0) ? "null" : "empty"));
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("column '" + input + "', partition " + partition + ", row " + examples.size()
                            + ": " + e.getMessage() + "; expected " + t.expected(), e);
                }
                try {
                    out = t.readTarget(lm ? null : row.get(1), Topology.length(in));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException((lm ? "column '" + input + "'" : "column '" + target + "'") + ", partition "
                            + partition + ", row " + examples.size() + ": " + e.getMessage() + "; expected " + t.expectedTarget(), e);
                }
                examples.add(new Topology.Example(in, out));
            }
            return List.of(new Shard(partition, examples.toArray(Topology.Example[]::new))).iterator();
        }, true).persist(StorageLevel.MEMORY_AND_DISK());
        List<int[]> sizes = shards.map(s -> new int[] {s.partition, s.rows.length}).collect();
        long[] starts = new long[sizes.size()];
        long total = 0;
        for (int[] s : sizes.stream().sorted(java.util.Comparator.comparingInt(a -> a[0])).toList()) {
            starts[s[0]] = total;
            total += s[1];
        }
        if (total == 0 || total > Integer.MAX_VALUE) {
            shards.unpersist(false);
            throw new IllegalArgumentException("the data has " + total + " rows; training needs 1 to " + Integer.MAX_VALUE);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<byte[]> description = jsc.broadcast(Checkpoint.toBytes(model, Map.of()));
        return new Run(jsc, shards, starts, (int) total, description);
    }

    /** One partition's training rows, read once and cached. */
    record Shard(int partition, Topology.Example[] rows) implements Serializable {
    }

    /** A partial sum of weighted gradients ({@link Topology#accumulate}). */
    static final class Partial implements Serializable {
        double[] sum;
        double count, loss;

        Partial merge(Partial other) {
            if (other.sum != null) {
                if (sum == null) {
                    sum = other.sum;
                } else {
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += other.sum[i];
                    }
                }
            }
            count += other.count;
            loss += other.loss;
            return this;
        }
    }

    /** Training on data read by {@link #start}: {@link #step()} at a time; {@link #close()} frees the cached rows. */
    public final class Run implements AutoCloseable {
        private final JavaSparkContext jsc;
        private final JavaRDD<Shard> shards;
        private final long[] starts;
        private final int rows;
        private final Broadcast<byte[]> description;
        private final String key = UUID.randomUUID() + "/" + backend;
        private long steps, epoch;
        private int[] order;

        private Run(JavaSparkContext jsc, JavaRDD<Shard> shards, long[] starts, int rows, Broadcast<byte[]> description) {
            this.jsc = jsc;
            this.shards = shards;
            this.starts = starts;
            this.rows = rows;
            this.description = description;
        }

        /** The rows of the data. */
        public int rows() {
            return rows;
        }

        /** Steps taken so far. */
        public long steps() {
            return steps;
        }

        /** One optimizer step on the next batch; returns the batch's mean loss (as the model's own {@code trainStep}). */
        public double step() {
            List<Parameter> parameters = model.parameters();
            int size = parameters.stream().mapToInt(Parameter::size).sum();
            float[] weights = new float[size];
            int at = 0;
            for (Parameter p : parameters) {
                System.arraycopy(p.values(), 0, weights, at, p.size());
                at += p.size();
            }
            Broadcast<float[]> current = jsc.broadcast(weights);
            int perEpoch = (rows + batchSize - 1) / batchSize;
            if (order == null || steps / perEpoch != epoch) { // one shuffle per epoch (batchRows's)
                epoch = steps / perEpoch;
                order = shuffle(rows, seed, epoch);
            }
            int[] batch = batchOf(order, batchSize, steps % perEpoch);
            Topology t = topology;
            long[] offsets = starts;
            Broadcast<byte[]> bytes = description;
            String cacheKey = key;
            Partial total;
            try {
                total = shards.treeAggregate(new Partial(),
                        (partial, shard) -> partial.merge(gradient(t, shard, offsets[shard.partition()], batch, current, bytes, cacheKey)),
                        Partial::merge, 2);
            } finally {
                current.destroy();
            }
            at = 0;
            for (Parameter p : parameters) {
                float[] g = p.grads();
                for (int i = 0; i < g.length; i++) {
                    g[i] = total.count == 0 ? 0f : (float) (total.sum[at + i] / total.count);
                }
                at += g.length;
            }
            Optimizer.clipGradNorm(parameters, maxNorm);
            optimizer.step();
            steps++;
            return total.count == 0 ? 0 : total.loss / total.count;
        }

        @Override
        public void close() {
            shards.unpersist(false);
            description.destroy();
        }
    }

    /** The weighted gradient of {@code shard}'s rows of {@code batch}, at the broadcast weights (runs on an executor). */
    private static Partial gradient(Topology topology, Shard shard, long start, int[] batch, Broadcast<float[]> weights,
                                    Broadcast<byte[]> description, String key) {
        List<Topology.Example> mine = new ArrayList<>();
        for (int row : batch) { // in the batch's order
            if (row >= start && row < start + shard.rows().length) {
                mine.add(shard.rows()[(int) (row - start)]);
            }
        }
        Partial p = new Partial();
        if (mine.isEmpty()) {
            return p;
        }
        try (ExecutorModels.Lease lease = ExecutorModels.exclusive(key,
                () -> ExecutorModels.onBackend(worker(description.value()), key.substring(key.indexOf('/') + 1)))) {
            Module m = lease.model();
            float[] w = weights.value();
            int at = 0;
            for (Parameter q : m.parameters()) {
                System.arraycopy(w, at, q.values(), 0, q.size());
                q.changed();
                at += q.size();
            }
            if (at != w.length) {
                throw new IllegalStateException("the broadcast weights have " + w.length + " values, the model " + at);
            }
            p.sum = new double[at];
            double[] counted = topology.accumulate(m, mine, new GradientsOnly(m), p.sum);
            p.count = counted[0];
            p.loss = counted[1];
        }
        return p;
    }

    private static Module worker(byte[] description) {
        try {
            Module m = Checkpoint.loadModel(description, "the training run's model").model();
            m.train();
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An optimizer that leaves the weights alone: the models' {@code trainStep} then only computes gradients. */
    private static final class GradientsOnly extends Optimizer {
        GradientsOnly(Module model) {
            super(model.namedParameters(), 0);
        }

        @Override
        protected void update(int index, Parameter p) {
        }

        @Override
        public Map<String, float[]> state() {
            return Map.of();
        }
    }
}

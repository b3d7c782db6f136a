package dev.jrnn.examples.service;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * What the service serves: a model, and how a request's JSON becomes its input and its output
 * becomes JSON. {@link #prepare} runs on the request's own thread and checks everything it can
 * (an {@link IllegalArgumentException} is a 400 naming the problem); the job it returns runs on a
 * worker, several at once on one model (jrnn's inference is safe from many threads).
 */
public interface Predictor extends AutoCloseable {

    /** The work for one request: the prediction as a JSON object. */
    Callable<String> prepare(Map<String, Object> request, int maxLength);

    /** What is served, for {@code GET /health} and the log. */
    String describe();

    @Override
    void close();
}

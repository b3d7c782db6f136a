/** A user's application on the module path: jrnn's API through jrnn-onnx (which brings jrnn-models). */
module com.example.consumer {
    requires dev.jrnn.onnx;
}

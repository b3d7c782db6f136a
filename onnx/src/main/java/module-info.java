/**
 * ONNX models in ({@link dev.jrnn.onnx.OnnxModel}) and out ({@link dev.jrnn.onnx.OnnxExport}).
 * The classes protoc generates from ONNX's {@code onnx.proto} ({@code dev.jrnn.onnx.proto}) are
 * not exported; protobuf-java reads their fields reflectively, hence the qualified {@code opens}.
 */
module dev.jrnn.onnx {
    requires transitive dev.jrnn.models;
    requires com.google.protobuf;

    exports dev.jrnn.onnx;

    opens dev.jrnn.onnx.proto to com.google.protobuf;
}

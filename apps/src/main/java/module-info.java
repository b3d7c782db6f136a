/**
 * The {@code jrnn} command and its applications. An application, not a library: nothing is
 * exported. picocli sets the commands' option fields reflectively, hence the qualified
 * {@code opens}. The backends come in as services (the launcher puts them beside this module).
 */
module dev.jrnn.apps {
    requires dev.jrnn.models;
    requires dev.jrnn.onnx;
    requires info.picocli;
    requires org.apache.commons.csv; // users' own CSV and TSV files
    requires org.jfree.jfreechart;
    requires java.desktop; // charts (AWT, ImageIO) and MIDI (javax.sound.midi)
    requires java.management; // the soak samples heap and native memory (jrnn.apps.Soak)

    opens dev.jrnn.apps to info.picocli;
}

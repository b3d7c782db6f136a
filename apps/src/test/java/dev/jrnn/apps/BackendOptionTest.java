package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** One --backend option for every command, auto by default (shown in its help), a backend when named. */
class BackendOptionTest {

    @Test
    void everyCommandDefaultsToAutoAndTakesTheOption() {
        TranslateCommand translate = new TranslateCommand();
        new CommandLine(translate).parseArgs();
        assertEquals("auto", translate.backend.name());
        SentimentCommand sentiment = new SentimentCommand();
        new CommandLine(sentiment).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--backend", "onednn");
        assertEquals("onednn", sentiment.backend.name());
        SentimentCommand defaults = new SentimentCommand();
        new CommandLine(defaults).setCaseInsensitiveEnumValuesAllowed(true).parseArgs();
        assertEquals("auto", defaults.backend.name());

        StringWriter help = new StringWriter();
        new CommandLine(new G2pCommand()).usage(new PrintWriter(help));
        assertTrue(help.toString().contains("--backend=NAME") && help.toString().contains("(default auto)"), help.toString());
    }
}

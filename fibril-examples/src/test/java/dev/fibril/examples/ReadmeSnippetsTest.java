/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every Java block of the README that follows a {@code <!-- snippet: PATH -->} line is the text
 * between {@code // README:begin} and {@code // README:end} of the file at PATH, and every marked
 * file is in the README: the README's examples are the code the build compiles and tests.
 */
class ReadmeSnippetsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** Where marked examples live: this module's programs and the starter's sample application. */
    private static final List<String> EXAMPLE_ROOTS = List.of("fibril-examples/src/main/java",
            "fibril-spring-boot-starter/src/test/java");
    private static final Pattern SNIPPET = Pattern.compile("<!-- snippet: (\\S+) -->\\n```java\\n(.*?)```\\n", Pattern.DOTALL);

    static String markedRegion(Path file) throws IOException {
        String text = Files.readString(file);
        int begin = text.indexOf("// README:begin\n");
        int end = text.indexOf("// README:end\n");
        assertTrue(begin >= 0 && end > begin, file + " has README:begin and README:end markers");
        return text.substring(begin + "// README:begin\n".length(), end);
    }

    @Test
    void shouldPasteEachExampleIntoTheReadmeVerbatim() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher m = SNIPPET.matcher(readme);
        List<String> pasted = new ArrayList<>();
        while (m.find()) {
            Path file = ROOT.resolve(m.group(1));
            assertTrue(Files.isRegularFile(file), "README names a snippet file that does not exist: " + m.group(1));
            assertEquals(markedRegion(file), m.group(2), "README block for " + m.group(1) + " differs from the file; paste the file's marked region");
            pasted.add(m.group(1));
        }
        List<String> marked = new ArrayList<>();
        for (String root : EXAMPLE_ROOTS) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(root))) {
                files.filter(p -> p.toString().endsWith(".java")).filter(p -> {
                    try {
                        return Files.readString(p).contains("// README:begin");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).map(p -> ROOT.relativize(p).toString()).forEach(marked::add);
            }
        }
        marked.sort(null);
        assertEquals(marked, pasted.stream().sorted().toList(), "every marked example is in the README, once");
    }

    @Test
    void shouldRejectAReadmeBlockThatDrifted() throws IOException {
        Path file = ROOT.resolve("fibril-examples/src/main/java/dev/fibril/examples/EchoExample.java");
        String drifted = "<!-- snippet: x -->\n```java\n" + markedRegion(file).replace("7007", "7008") + "```\n";
        Matcher m = SNIPPET.matcher(drifted);
        assertTrue(m.find());
        assertTrue(!m.group(2).equals(markedRegion(file)), "a changed block is told apart from the file");
    }
}

package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.testkit.PlatformRequirements;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The completion script: shipped in the jar by the build, printed by {@code layerstore completion
 * bash}, and completing command names and flags in bash.
 */
class CompletionTest {

  @TempDir Path tmp;
  private Path script;

  @BeforeEach
  void printIt() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status =
        new Main(new PrintStream(out, true, StandardCharsets.UTF_8), System.err)
            .run(new String[] {"completion", "bash"});
    assertEquals(0, status);
    script = tmp.resolve("layerstore_completion");
    Files.write(script, out.toByteArray());
  }

  @Test
  void theBuildShipsTheScriptThatTheCommandPrints() throws IOException {
    try (InputStream in = Completion.class.getResourceAsStream(Completion.RESOURCE)) {
      assertNotNull(in, "the build (process-classes) puts " + Completion.RESOURCE + " in the jar");
      assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), Completion.generate());
    }
    assertEquals(Completion.generate(), Files.readString(script));
    ByteArrayOutputStream zsh = new ByteArrayOutputStream();
    new Main(new PrintStream(zsh, true, StandardCharsets.UTF_8), System.err)
        .run(new String[] {"completion", "zsh"});
    assertEquals(Files.readString(script), zsh.toString(StandardCharsets.UTF_8));
    assertTrue(Files.readString(script).contains("bashcompinit"), "zsh loads bashcompinit");
  }

  private String bash(String commands) throws IOException, InterruptedException {
    PlatformRequirements.require(Files.isExecutable(Path.of("/bin/bash")), "bash");
    Process p =
        new ProcessBuilder(
                List.of("/bin/bash", "-c", "source \"$1\"; " + commands, "bash", script.toString()))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  /** What the completion function offers for a command line whose last word is being typed. */
  private List<String> complete(String... words) throws IOException, InterruptedException {
    String function = bash("complete -p layerstore").replaceAll("(?s).*-F (\\S+).*", "$1").strip();
    StringBuilder w = new StringBuilder();
    for (String word : words) {
      w.append(" '").append(word).append('\'');
    }
    String line = String.join(" ", words);
    return bash("COMP_WORDS=("
            + w
            + "); COMP_CWORD="
            + (words.length - 1)
            + "; COMP_LINE='"
            + line
            + "'; COMP_POINT=${#COMP_LINE}; "
            + function
            + " 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"")
        .lines()
        .map(String::strip)
        .toList();
  }

  @Test
  void bashCompletesCommandsAndFlags() throws IOException, InterruptedException {
    String registered = bash("complete -p layerstore");
    assertTrue(registered.contains(" layerstore"), registered);
    assertTrue(registered.contains("-F "), registered);
    assertEquals(List.of("images"), complete("layerstore", "ima"));
    assertTrue(complete("layerstore", "").containsAll(List.of("images", "load", "bench-load")));
    assertEquals(List.of("--no-trunc"), complete("layerstore", "images", "--no"));
    assertTrue(complete("layerstore", "create", "--").contains("--add-host"));
    assertEquals(List.of("zsh"), complete("layerstore", "completion", "z"));
  }
}

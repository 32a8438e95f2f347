package io.layerstore.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.AutoComplete;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;

/**
 * Shell completion: {@code layerstore completion bash|zsh} prints the script, which picocli's
 * {@link AutoComplete} generates from the commands' specs. The build runs {@link #main} to ship it
 * inside the jar ({@value #RESOURCE}) and beside it ({@code target/layerstore_completion}). The one
 * script serves both shells: in zsh it loads bashcompinit itself.
 */
public final class Completion implements Cli.Group {

  Completion() {}

  /** Where the build puts the script in the jar. */
  static final String RESOURCE = "/io/layerstore/cli/layerstore_completion";

  @Override
  public List<String> names() {
    return List.of("completion");
  }

  @Override
  public CommandSpec spec(String name) {
    if (!name.equals("completion")) {
      throw new IllegalArgumentException("no command " + name);
    }
    PositionalParamSpec shell =
        PositionalParamSpec.builder()
            .index("0")
            .arity("1")
            .type(String.class)
            .paramLabel("SHELL")
            .completionCandidates(List.of("bash", "zsh"))
            .converters(Completion::shell)
            .build();
    return Cli.command(
            name,
            "bash|zsh",
            "Print the shell completion script: source <(layerstore completion bash)",
            this::print)
        .addPositional(shell);
  }

  private static String shell(String s) {
    if (!s.equals("bash") && !s.equals("zsh")) {
      throw new TypeConversionException("bash or zsh is needed");
    }
    return s;
  }

  private int print(Main.Context ctx, ParseResult args) throws IOException {
    ctx.out.print(script());
    return 0;
  }

  /**
   * The script shipped in the jar; made anew when running from classes the build did not add it to.
   */
  static String script() throws IOException {
    try (InputStream in = Completion.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    return generate();
  }

  /** The script picocli generates for {@code layerstore}. */
  static String generate() {
    return AutoComplete.bash(Main.NAME, Main.commandLine());
  }

  /** The build's generator: writes the script to each file named. */
  public static void main(String[] files) throws IOException {
    String script = generate();
    for (String f : files) {
      Path p = Path.of(f);
      Files.createDirectories(p.toAbsolutePath().getParent());
      Files.writeString(p, script, StandardCharsets.UTF_8);
    }
  }
}

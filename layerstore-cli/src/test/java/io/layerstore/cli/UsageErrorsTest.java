package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Every command fed a flag without its value, an unknown flag and one argument too many: each is a
 * usage error (exit status 125) told in one clear line and {@code See 'layerstore CMD --help'.},
 * with no stack trace; and {@code --help} for every command.
 */
class UsageErrorsTest {

  @TempDir Path tmp;

  record Result(int status, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  /** Runs {@code layerstore ARGS} in this JVM. */
  private static Result run(List<String> args) {
    var stdout = new ByteArrayOutputStream();
    var stderr = new ByteArrayOutputStream();
    Main main =
        new Main(
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    int status = main.run(args.toArray(String[]::new));
    return new Result(
        status, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
  }

  /** {@code layerstore --root TMP ARGS}. */
  private Result cli(List<String> args) {
    List<String> all = new ArrayList<>(List.of("--root", tmp.resolve("root").toString()));
    all.addAll(args);
    return run(all);
  }

  private Result cli(String... args) {
    return cli(List.of(args));
  }

  /** A usage error: 125, nothing on stdout, the expected first line, the See line, no trace. */
  private static void usageError(Result r, String command, String firstLine, String what) {
    assertEquals(125, r.status(), what + ": " + r);
    assertEquals("", r.out(), what);
    assertFalse(r.err().contains("Exception"), what + ": " + r.err());
    assertFalse(r.err().contains("\tat "), what + ": " + r.err());
    List<String> lines = r.errLines();
    assertEquals(firstLine, lines.get(0), what);
    assertEquals(
        "See 'layerstore" + (command == null ? "" : " " + command) + " --help'.",
        lines.get(lines.get(1).startsWith("Did you mean") ? 2 : 1),
        what + ": " + r.err());
  }

  /** An argument each positional accepts. */
  private static String filler(PositionalParamSpec p) {
    return p.completionCandidates() == null ? "x" : p.completionCandidates().iterator().next();
  }

  @TestFactory
  Stream<DynamicTest> everyCommandRefusesBadUseWith125() {
    List<DynamicTest> tests = new ArrayList<>();
    for (CommandSpec spec : Main.commands()) {
      String name = spec.name();
      for (OptionSpec o : spec.options()) {
        if (o.arity().max() == 0) {
          continue;
        }
        for (String flag : o.names()) {
          tests.add(
              DynamicTest.dynamicTest(
                  name + " " + flag + " (no value)",
                  () ->
                      usageError(
                          cli(name, flag),
                          name,
                          "flag needs an argument: " + o.longestName(),
                          name + " " + flag)));
        }
      }
      tests.add(
          DynamicTest.dynamicTest(
              name + " --no-such-flag",
              () ->
                  usageError(
                      cli(name, "--no-such-flag"),
                      name,
                      "unknown flag: --no-such-flag",
                      name + " --no-such-flag")));
      tests.add(
          DynamicTest.dynamicTest(
              name + " -Z",
              () -> usageError(cli(name, "-Z"), name, "unknown flag: -Z", name + " -Z")));
      int max = 0;
      List<String> extra = new ArrayList<>(List.of(name));
      for (PositionalParamSpec p : spec.positionalParameters()) {
        if (p.arity().max() == Integer.MAX_VALUE) {
          max = -1;
          break;
        }
        max += p.arity().max();
        for (int i = 0; i < p.arity().max(); i++) {
          extra.add(filler(p));
        }
      }
      if (max >= 0) {
        extra.add("one-too-many");
        String expected =
            max == 0
                ? "\"layerstore " + name + "\" accepts no arguments."
                : "\"layerstore " + name + "\" ";
        tests.add(
            DynamicTest.dynamicTest(
                String.join(" ", extra),
                () -> {
                  Result r = cli(extra);
                  usageError(r, name, r.errLines().get(0), String.join(" ", extra));
                  assertTrue(r.errLines().get(0).startsWith(expected), r.err());
                  assertTrue(r.err().contains("\nUsage:  layerstore " + name), r.err());
                }));
      }
      tests.add(
          DynamicTest.dynamicTest(
              name + " --help",
              () -> {
                Result r = cli(name, "--help");
                assertEquals(0, r.status(), r.err());
                assertTrue(r.out().startsWith("Usage:  layerstore " + name + " "), r.out());
                assertTrue(r.out().contains("--help"), r.out());
                if (!spec.options().stream().allMatch(OptionSpec::usageHelp)) {
                  assertTrue(r.out().contains("\nOptions:\n"), r.out());
                }
              }));
    }
    assertTrue(tests.size() > 80, "every command is tried: " + tests.size());
    return tests.stream();
  }

  @Test
  void theIssuesTwoCases() {
    Result noValue = run(List.of("--root"));
    usageError(noValue, null, "flag needs an argument: --root", "--root");
    usageError(cli("images", "--root"), "images", "unknown flag: --root", "images --root");
    usageError(
        cli("images", "--root", tmp.toString()), "images", "unknown flag: --root", "images --root");
  }

  @Test
  void unknownCommandsGetASuggestion() {
    Result r = cli("imags");
    usageError(r, null, "layerstore: 'imags' is not a layerstore command.", "imags");
    assertEquals("Did you mean images?", r.errLines().get(1));
    usageError(cli("--no-such-flag", "images"), null, "unknown flag: --no-such-flag", "global");
  }

  @Test
  void badValuesNameTheFlagAndTheValue() {
    usageError(
        cli("bench-load", "a.tar", "--rounds", "0"),
        "bench-load",
        "invalid value \"0\" for --rounds: a whole number of at least 1 is needed",
        "--rounds 0");
    usageError(
        cli("bench-commit", "a.tar", "--pause", "soon"),
        "bench-commit",
        "invalid value \"soon\" for --pause: a duration is needed: seconds, or like 500ms, 40s, 2m,"
            + " 1h30m",
        "--pause soon");
    usageError(
        cli("create", "--add-host", "nohost", "img"),
        "create",
        "invalid value \"nohost\" for --add-host: expected HOST:IP",
        "--add-host");
    usageError(
        cli("completion", "fish"),
        "completion",
        "invalid value \"fish\" for SHELL: bash or zsh is needed",
        "completion fish");
    // a bad reference is the operation's error, as docker has it (and as CliTest expects)
    Result ref = cli("tag", "x", "Bad Name");
    assertEquals(1, ref.status());
    assertTrue(ref.err().startsWith("Error: invalid reference format"), ref.err());
  }

  @Test
  void helpAndNoCommand() {
    Result help = cli("--help");
    assertEquals(0, help.status());
    assertTrue(help.out().startsWith("Usage: layerstore [--root DIR]"), help.out());
    assertTrue(help.out().contains("\n  images "), help.out());
    Result none = cli();
    assertEquals(125, none.status());
    assertTrue(none.err().startsWith("Usage: layerstore"), none.err());
  }

  @Test
  void debugShowsTheTrace() {
    Result r = cli("--debug", "images", "--no-such-flag");
    assertEquals(125, r.status());
    assertTrue(r.err().startsWith("unknown flag: --no-such-flag\n"), r.err());
    assertTrue(r.err().contains("\tat "), r.err());
  }
}

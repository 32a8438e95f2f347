package io.layerstore.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** The benchmarks: bench-load, bench-commit, bench-durability; their options in one place. */
final class BenchCommands implements Cli.Group {

  @Override
  public List<String> names() {
    return List.of("bench-load", "bench-commit", "bench-durability");
  }

  @Override
  public CommandSpec spec(String name) {
    return switch (name) {
      case "bench-load" ->
          spec(
              name,
              (ctx, args) -> new LoadBenchmark().run(ctx, options(args, 3, true, usage(args))),
              "[OPTIONS] FILE",
              "Time loading an archive beside docker load and tar+sha256sum",
              "1",
              3,
              true);
      case "bench-commit" ->
          spec(
              name,
              (ctx, args) -> new CommitBenchmark().run(ctx, options(args, 5, true, usage(args))),
              "[OPTIONS] FILE [FILE...]",
              "Time creating and committing a container beside docker",
              "1..*",
              5,
              true);
      case "bench-durability" ->
          spec(
              name,
              (ctx, args) ->
                  new DurabilityBenchmark().run(ctx, options(args, 3, false, usage(args))),
              "[OPTIONS] FILE",
              "Time load, tag and rmi with and without fsync",
              "1",
              3,
              false);
      default -> throw new IllegalArgumentException("no command " + name);
    };
  }

  private static String usage(ParseResult args) {
    return Cli.usageLine(args.commandSpec());
  }

  /**
   * A benchmark's command: archives ({@code arity}), {@code --rounds}, {@code --pause}, {@code
   * --work} and, with {@code dockerFlag}, {@code --no-docker}.
   */
  static CommandSpec spec(
      String name,
      Cli.Action action,
      String synopsis,
      String description,
      String arity,
      int rounds,
      boolean dockerFlag) {
    CommandSpec spec = Cli.command(name, synopsis, description, action);
    spec.addOption(
        Cli.option(
            Integer.class,
            Types.atLeast(1),
            "int",
            "Timed rounds (default " + rounds + ")",
            "--rounds"));
    spec.addOption(
        Cli.option(
            Duration.class,
            Types.DURATION,
            "duration",
            "Quiet time before each timed run, seconds or like 40s, 2m (default 40s)",
            "--pause"));
    spec.addOption(
        Cli.option(
            Path.class,
            Types.PATH,
            "path",
            "Work in this directory (made if missing) instead of a temporary one",
            "--work"));
    if (dockerFlag) {
      spec.addOption(Cli.flag("Leave Docker out", "--no-docker"));
    }
    spec.addPositional(
        Cli.args(arity.equals("1") ? "0" : "0..*", arity, Path.class, Types.PATH, "FILE"));
    return spec;
  }

  /** The parsed options; archives made absolute, the pause in whole seconds (rounded up). */
  static BenchOptions options(ParseResult args, int rounds, boolean dockerFlag, String usage) {
    Duration pause = Cli.value(args, "--pause", Duration.ofSeconds(40));
    long seconds = pause.toSeconds() + (pause.getNano() > 0 ? 1 : 0);
    List<Path> archives = Cli.<Path>positionals(args).stream().map(Path::toAbsolutePath).toList();
    return new BenchOptions(
        archives,
        Cli.value(args, "--rounds", rounds),
        (int) Math.min(Integer.MAX_VALUE, seconds),
        dockerFlag && !Cli.has(args, "--no-docker"),
        Cli.value(args, "--work", null),
        usage);
  }
}

package io.layerstore.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The benchmarks: bench-load, bench-commit, bench-save, bench-mount, bench-start, bench-durability,
 * bench-pull, bench-push and bench-build; their options in one place.
 */
final class BenchCommands implements Cli.Group {

  @Override
  public List<String> names() {
    return List.of(
        "bench-load",
        "bench-commit",
        "bench-save",
        "bench-mount",
        "bench-start",
        "bench-durability",
        "bench-pull",
        "bench-push",
        "bench-build");
  }

  @Override
  public CommandSpec spec(String name) {
    return switch (name) {
      case "bench-load" -> {
        CommandSpec spec =
            spec(
                name,
                (ctx, args) -> new LoadBenchmark().run(ctx, options(args, 3, true, usage(args))),
                "[OPTIONS] [FILE...]",
                "Time loading images in both pairs (CLI, API) beside the floor",
                "0..*",
                3,
                true);
        spec.addOption(
            Cli.flag(
                "Also make and load the many-small-files image (needs dockerd)", "--small-files"));
        spec.addOption(files("Files of the --small-files image", SmallFilesImage.DEFAULT_FILES));
        yield spec;
      }
      case "bench-commit" -> {
        CommandSpec spec =
            spec(
                name,
                (ctx, args) -> new CommitBenchmark().run(ctx, options(args, 5, true, usage(args))),
                "[OPTIONS] FILE [FILE...]",
                "Time create, commit and rmi in both pairs (CLI, API) beside the floor",
                "1..*",
                5,
                true);
        spec.addOption(
            files("Files the many-files container writes", CommitBenchmark.DEFAULT_FILES));
        yield spec;
      }
      case "bench-save" ->
          spec(
              name,
              (ctx, args) -> new SaveBenchmark().run(ctx, options(args, 3, true, usage(args))),
              "[OPTIONS] FILE",
              "Time save in both pairs (CLI, API) beside the floor",
              "1",
              3,
              true);
      case "bench-mount" ->
          spec(
              name,
              (ctx, args) -> new MountBenchmark().run(ctx, options(args, 5, false, usage(args))),
              "[OPTIONS]",
              "Time mount and umount of a 125-layer image beside mount(2)",
              "0",
              5,
              false);
      case "bench-start" ->
          spec(
              name,
              (ctx, args) -> new StartBenchmark().run(ctx, options(args, 11, true, usage(args))),
              "[OPTIONS]",
              "Time the start-up of layerstore images beside docker images",
              "0",
              11,
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
      case "bench-pull" ->
          spec(
              name,
              (ctx, args) -> new PullBenchmark().run(ctx, options(args, 3, true, usage(args))),
              "[OPTIONS] FILE",
              "Time pull from a loopback registry beside docker pull",
              "1",
              3,
              true);
      case "bench-push" ->
          spec(
              name,
              (ctx, args) -> new PushBenchmark().run(ctx, options(args, 3, true, usage(args))),
              "[OPTIONS] FILE",
              "Time push to a loopback registry beside docker push and skopeo copy",
              "1",
              3,
              true);
      case "bench-build" ->
          spec(
              name,
              (ctx, args) -> new BuildBenchmark().run(ctx, options(args, 3, false, usage(args))),
              "[OPTIONS] DIR",
              "Time a first build and a rebuild of an image from DIR beside the floor",
              "1",
              3,
              false);
      default -> throw new IllegalArgumentException("no command " + name);
    };
  }

  private static OptionSpec files(String what, int otherwise) {
    return Cli.option(
        Integer.class, Types.atLeast(1), "int", what + " (default " + otherwise + ")", "--files");
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
    if (!arity.equals("0")) {
      spec.addPositional(
          Cli.args(arity.equals("1") ? "0" : "0..*", arity, Path.class, Types.PATH, "FILE"));
    }
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
        Cli.has(args, "--small-files")
            ? Cli.value(args, "--files", SmallFilesImage.DEFAULT_FILES)
            : 0,
        Cli.value(args, "--files", 0),
        usage);
  }
}

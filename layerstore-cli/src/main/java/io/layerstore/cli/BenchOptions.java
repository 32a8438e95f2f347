package io.layerstore.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The arguments every {@code bench-*} command takes, as {@link BenchCommands} declares them:
 * archives, {@code --rounds N}, {@code --pause DURATION} (whole seconds here), {@code --work DIR}
 * and, where Docker is compared, {@code --no-docker}.
 *
 * @param smallFiles the file count of bench-load's many-small-files image, 0 for none
 * @param files {@code --files} as given, 0 when not given
 * @param usage the command's usage line, for errors
 */
record BenchOptions(
    List<Path> archives,
    int rounds,
    int pause,
    boolean docker,
    Path work,
    int smallFiles,
    int files,
    String usage) {

  /**
   * Parses the arguments of a {@code bench-*} command with its picocli spec ({@link
   * BenchCommands#spec}); a bad one is a {@link Main.UsageException} naming it.
   *
   * @param rounds the default number of rounds
   * @param dockerFlag whether {@code --no-docker} is accepted
   * @param usage the command's usage line, for errors
   */
  static BenchOptions parse(List<String> args, int rounds, boolean dockerFlag, String usage) {
    return parse(
        BenchCommands.spec("bench", null, usage, "A benchmark", "1..*", rounds, dockerFlag),
        args,
        rounds,
        dockerFlag,
        usage);
  }

  /**
   * Parses the arguments of the command {@code name} ({@code bench-load}, ...) with the very spec
   * {@link BenchCommands} gives it, with its own options ({@code --small-files}, {@code --files}).
   */
  static BenchOptions parse(String name, List<String> args, int rounds, boolean dockerFlag) {
    CommandSpec spec = new BenchCommands().spec(name);
    return parse(spec, args, rounds, dockerFlag, Cli.usageLine(spec));
  }

  private static BenchOptions parse(
      CommandSpec spec, List<String> args, int rounds, boolean dockerFlag, String usage) {
    CommandLine cl = new CommandLine(spec);
    Main.configure(cl);
    try {
      return BenchCommands.options(
          cl.parseArgs(args.toArray(String[]::new)), rounds, dockerFlag, usage);
    } catch (ParameterException error) {
      ParameterException e = Main.flagsFirst(error);
      if (e instanceof CommandLine.MissingParameterException m
          && m.getMissing().stream().noneMatch(a -> a.isOption())) {
        throw new Main.UsageException(usage);
      }
      throw new Main.UsageException(Main.describe(e) + "\n" + usage);
    }
  }

  /** The one archive of a command that takes one. */
  Path archive(String usage) {
    if (archives.size() != 1) {
      throw new Main.UsageException(usage);
    }
    return archives.get(0);
  }

  /** {@code --files}, or {@code otherwise} when not given. */
  int files(int otherwise) {
    return files == 0 ? otherwise : files;
  }

  /**
   * The directory to work in: {@code --work} (made if missing), else a new temp dir named {@code
   * prefix...}.
   */
  Path base(String prefix) throws IOException {
    return work == null ? Files.createTempDirectory(prefix) : Files.createDirectories(work);
  }
}

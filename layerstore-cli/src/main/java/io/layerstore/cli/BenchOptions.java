package io.layerstore.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments every {@code bench-*} command takes: archives, {@code --rounds N}, {@code --pause
 * SECONDS}, {@code --work DIR} and, where Docker is compared, {@code --no-docker}.
 */
record BenchOptions(List<Path> archives, int rounds, int pause, boolean docker, Path work) {

  /**
   * @param rounds the default number of rounds
   * @param dockerFlag whether {@code --no-docker} is accepted
   * @param usage the command's usage line, for errors
   */
  static BenchOptions parse(List<String> args, int rounds, boolean dockerFlag, String usage) {
    List<Path> archives = new ArrayList<>();
    int pause = 40;
    boolean docker = dockerFlag;
    Path work = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--rounds":
          rounds = number(args, ++i, a, 1, usage);
          break;
        case "--pause":
          pause = number(args, ++i, a, 0, usage);
          break;
        case "--work":
          work = Path.of(value(args, i + 1, a, usage));
          i++;
          break;
        default:
          if (dockerFlag && a.equals("--no-docker")) {
            docker = false;
          } else if (a.startsWith("-")) {
            throw new Main.UsageException("unknown flag: " + a + "\n" + usage);
          } else {
            archives.add(Path.of(a).toAbsolutePath());
          }
      }
    }
    if (archives.isEmpty()) {
      throw new Main.UsageException(usage);
    }
    return new BenchOptions(List.copyOf(archives), rounds, pause, docker, work);
  }

  /** The one archive of a command that takes one. */
  Path archive(String usage) {
    if (archives.size() != 1) {
      throw new Main.UsageException(usage);
    }
    return archives.get(0);
  }

  /**
   * The directory to work in: {@code --work} (made if missing), else a new temp dir named {@code
   * prefix...}.
   */
  Path base(String prefix) throws IOException {
    return work == null ? Files.createTempDirectory(prefix) : Files.createDirectories(work);
  }

  private static String value(List<String> args, int i, String flag, String usage) {
    if (i >= args.size()) {
      throw new Main.UsageException("flag needs an argument: " + flag + "\n" + usage);
    }
    return args.get(i);
  }

  private static int number(List<String> args, int i, String flag, int min, String usage) {
    String v = value(args, i, flag, usage);
    try {
      int n = Integer.parseInt(v);
      if (n >= min) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new Main.UsageException(
        "invalid value \""
            + v
            + "\" for "
            + flag
            + ": a whole number of at least "
            + min
            + " is needed\n"
            + usage);
  }
}

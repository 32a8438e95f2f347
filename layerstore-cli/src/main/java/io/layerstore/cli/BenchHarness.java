package io.layerstore.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one loop every {@code bench-*} command times through, so that all contenders get the same
 * treatment: each timed run is prepared (untimed) in a fresh directory, then the disk is settled
 * ({@link DiskSettler}), then the run waits {@code --pause} seconds, is timed by wall clock and by
 * CPU, and is cleaned up (untimed). Odd rounds run the contenders in reverse order, so every side
 * goes first as often as its peer.
 *
 * <p>Nothing a run wrote is deleted until the whole benchmark is over (the session deletes its work
 * directory): on this project's journal-less ext4, making inodes in block groups where many were
 * deleted in the last minutes costs several times the kernel time (ext4's {@code
 * recently_deleted()} check; see {@link DiskSettler}), so a run that followed another's deletion
 * would pay for it. Daemons get a data-root of their own per run for the same reason ({@link
 * BenchSession#dockerFor}) instead of pruning what the previous run made.
 */
final class BenchHarness {

  /** Something that may fail with any exception: the harness wraps it with its contender's name. */
  interface Action {
    void run() throws Exception;
  }

  /**
   * One prepared run: the timed part, what to undo afterwards (untimed), and how many operations
   * the timed part did (a figure per operation is the timed total divided by it).
   */
  record Trial(Action timed, Action cleanup, int ops) {
    static Trial of(Action timed) {
      return new Trial(timed, () -> {}, 1);
    }

    static Trial of(Action timed, Action cleanup) {
      return new Trial(timed, cleanup, 1);
    }
  }

  /**
   * Prepares one run in {@code fresh}, a new empty directory of its own, which stays until the end
   * of the benchmark.
   */
  interface Step {
    Trial prepare(Path fresh) throws Exception;
  }

  /**
   * One row of a table.
   *
   * @param peer whether this is a row ours is compared with (docker, umoci, the kernel)
   * @param mayFail whether a failure is a result ("n/a (failed: ...)") rather than the end of the
   *     benchmark: for inputs the library may not read yet
   */
  record Contender(String name, BenchTable.Pair pair, boolean peer, boolean mayFail, Step step) {
    Contender(String name, BenchTable.Pair pair, boolean peer, Step step) {
      this(name, pair, peer, false, step);
    }
  }

  private final PrintStream out;
  private final Path base;
  private final int rounds;
  private final int pause;
  private final CpuClock clock;
  private final DiskSettler disk;

  /**
   * @param base where the fresh directories are made (and deleted)
   * @param clock whose CPU time a run is charged (the bench JVM, its children, a daemon)
   */
  BenchHarness(PrintStream out, Path base, int rounds, int pause, CpuClock clock) {
    this.out = out;
    this.base = base;
    this.rounds = rounds;
    this.pause = pause;
    this.clock = clock;
    this.disk = new DiskSettler(out);
  }

  /**
   * Reads {@code path} (a file, or the files below a directory) back into the page cache before
   * every run, after the caches are dropped: an input every contender reads, or a store a save
   * reads from.
   */
  void keepWarm(Path path) {
    disk.keepWarm(path);
  }

  /** The clock runs are charged by, to watch a daemon started for one run. */
  CpuClock clock() {
    return clock;
  }

  /** The order of round {@code round} (from 0): as given on even rounds, reversed on odd ones. */
  static <T> List<T> order(List<T> contenders, int round) {
    List<T> order = new ArrayList<>(contenders);
    if (round % 2 == 1) {
      java.util.Collections.reverse(order);
    }
    return order;
  }

  /**
   * Runs every contender {@code rounds} times, printing each run as it ends, and returns the
   * samples per contender in the order given.
   */
  List<BenchTable.Row> run(String what, List<Contender> contenders)
      throws IOException, InterruptedException {
    Map<Contender, List<BenchTable.Sample>> samples = new LinkedHashMap<>();
    Map<Contender, String> failed = new LinkedHashMap<>();
    contenders.forEach(c -> samples.put(c, new ArrayList<>()));
    // what runs make stays until the end, so each table gets a directory of its own
    Path runs = Files.createDirectories(base.resolve("runs"));
    int k = 0;
    while (Files.exists(runs.resolve("t" + k))) {
      k++;
    }
    Path table = Files.createDirectory(runs.resolve("t" + k));
    for (int r = 0; r < rounds; r++) {
      for (Contender c : order(contenders, r)) {
        if (failed.containsKey(c)) {
          continue;
        }
        Path fresh = Files.createDirectory(table.resolve("r" + r + "-" + contenders.indexOf(c)));
        String line;
        try {
          BenchTable.Sample s = once(c, fresh);
          samples.get(c).add(s);
          line = BenchTable.describe(s);
        } catch (IOException e) {
          if (!c.mayFail()) {
            throw e;
          }
          // the cause's first line: the name is the row's, and a tool's output may go on
          Throwable why = e.getCause() == null ? e : e.getCause();
          failed.put(c, String.valueOf(why.getMessage()).strip().lines().findFirst().orElse(""));
          line = "failed: " + failed.get(c);
        }
        out.printf(Locale.ROOT, "  %s, round %d: %-50s %s%n", what, r + 1, c.name(), line);
      }
    }
    List<BenchTable.Row> rows = new ArrayList<>();
    for (Contender c : contenders) {
      rows.add(new BenchTable.Row(c.name(), c.pair(), c.peer(), samples.get(c), failed.get(c)));
    }
    return rows;
  }

  private BenchTable.Sample once(Contender c, Path fresh) throws IOException, InterruptedException {
    try {
      Trial trial = c.step().prepare(fresh);
      disk.settle();
      if (pause > 0) {
        Thread.sleep(pause * 1000L);
      }
      CpuClock.Reading before = clock.read();
      long t0 = System.nanoTime();
      trial.timed().run();
      long wall = System.nanoTime() - t0;
      CpuClock.Reading used = clock.read().minus(before);
      trial.cleanup().run();
      return new BenchTable.Sample(wall / 1e9, used.user(), used.system(), trial.ops());
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(c.name() + ": " + e, e);
    }
  }
}

package io.layerstore.cli;

import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.RemoveOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code layerstore bench-durability FILE}: what durability costs. Loads the archive into a fresh
 * store, tags the image 20 times and removes it, once with the store's default ({@code durable}:
 * layer content synced before it is published, every journal entry and metadata file fsynced) and
 * once with {@code durable(false)}; rounds alternate the order. Prints the medians side by side.
 *
 * <p>Hygiene as in {@code bench-load}: fresh directories, trees deleted after timing, and {@code
 * --pause} seconds (default 40) after each deletion before the next timed run.
 */
final class DurabilityBenchmark {
  private static final int TAGS = 20;

  private record Run(double loadMs, double tagMs, double removeMs) {}

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    Path archive = o.archive(o.usage());
    int rounds = o.rounds();
    int pause = o.pause();
    // on the file system of the current directory unless --work says otherwise
    Path base =
        o.work() == null
            ? Files.createTempDirectory(Path.of("").toAbsolutePath(), ".layerstore-bench-")
            : Files.createDirectories(o.work());
    List<Run> durable = new ArrayList<>();
    List<Run> fast = new ArrayList<>();
    try {
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
          boolean d = (r + k) % 2 == 0;
          Path root = base.resolve("round" + r + (d ? "-durable" : "-not-durable"));
          Run run = once(archive, root, d);
          (d ? durable : fast).add(run);
          ctx.out.printf(
              Locale.ROOT,
              "round %d %-12s load %8.1f ms   tag %6.2f ms/op   rmi %7.1f ms%n",
              r + 1,
              d ? "durable" : "not durable",
              run.loadMs(),
              run.tagMs(),
              run.removeMs());
          Shell.run(List.of("rm", "-rf", root.toString()));
          sleep(pause);
        }
      }
    } finally {
      Shell.run(List.of("rm", "-rf", base.toString()));
    }
    Run d = median(durable);
    Run f = median(fast);
    ctx.out.printf(
        Locale.ROOT,
        "%nmedians of %d rounds, %s (%d MiB)%n",
        rounds,
        archive.getFileName(),
        Files.size(archive) >> 20);
    ctx.out.printf(Locale.ROOT, "              durable   not durable   cost of durability%n");
    ctx.out.printf(
        Locale.ROOT,
        "load     %9.1f ms  %9.1f ms  %+9.1f ms (%+.0f%%)%n",
        d.loadMs(),
        f.loadMs(),
        d.loadMs() - f.loadMs(),
        100 * (d.loadMs() - f.loadMs()) / f.loadMs());
    ctx.out.printf(
        Locale.ROOT,
        "tag      %9.2f ms  %9.2f ms  %+9.2f ms per tag%n",
        d.tagMs(),
        f.tagMs(),
        d.tagMs() - f.tagMs());
    ctx.out.printf(
        Locale.ROOT,
        "rmi      %9.1f ms  %9.1f ms  %+9.1f ms%n",
        d.removeMs(),
        f.removeMs(),
        d.removeMs() - f.removeMs());
    return 0;
  }

  private static Run once(Path archive, Path root, boolean durable) throws IOException {
    try (LayerStore s = LayerStore.builder(root).durable(durable).open()) {
      long t0 = System.nanoTime();
      ImageId id = s.load(archive).get(0);
      long t1 = System.nanoTime();
      for (int i = 0; i < TAGS; i++) {
        s.tag(id.toString(), "bench:" + i);
      }
      long t2 = System.nanoTime();
      s.remove(id.toString(), RemoveOptions.defaults().force());
      long t3 = System.nanoTime();
      return new Run((t1 - t0) / 1e6, (t2 - t1) / 1e6 / TAGS, (t3 - t2) / 1e6);
    }
  }

  private static Run median(List<Run> runs) {
    return new Run(
        mid(runs.stream().map(Run::loadMs).toList()),
        mid(runs.stream().map(Run::tagMs).toList()),
        mid(runs.stream().map(Run::removeMs).toList()));
  }

  private static double mid(List<Double> xs) {
    return BenchTable.median(xs.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private static void sleep(int seconds) {
    try {
      Thread.sleep(seconds * 1000L);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

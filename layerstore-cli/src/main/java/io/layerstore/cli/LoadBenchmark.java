package io.layerstore.cli;

import io.layerstore.LayerStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code layerstore bench-load FILE}: loads a docker save archive with layerstore, with a private
 * {@code dockerd} ({@code docker load}), and measures the floor — {@code sha256sum} plus {@code tar
 * -x} of each layer — printing the three side by side.
 *
 * <p>Hygiene for this machine's journal-less ext4: every timed run goes into a fresh directory,
 * trees are deleted only after timing, and each timed round waits {@code --pause} seconds (default
 * 40) after the previous deletion so that block freeing does not slow the next round down.
 */
final class LoadBenchmark {
  int run(Main.Context ctx, BenchOptions o) throws IOException {
    Path archive = o.archive(o.usage());
    Path base = o.base("layerstore-bench");
    try {
      return bench(
          ctx, archive, base, o.rounds(), o.pause(), o.docker() && PrivateDocker.available());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      Shell.run(List.of("rm", "-rf", base.toString()));
    }
  }

  private int bench(
      Main.Context ctx, Path archive, Path base, int rounds, int pause, boolean docker)
      throws IOException, InterruptedException {
    // Untimed preparation: the layer tars the floor works on.
    Path prep = base.resolve("prep");
    Files.createDirectories(prep);
    Shell.check(List.of("tar", "-xf", archive.toString(), "-C", prep.toString()));
    List<Path> layers = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(prep)) {
      for (Path d : ds) {
        Path l = d.resolve("layer.tar");
        if (Files.isRegularFile(l) && !Files.isSymbolicLink(l)) {
          layers.add(l);
        }
      }
    }
    long bytes = 0;
    for (Path l : layers) {
      bytes += Files.size(l);
    }
    ctx.out.printf(
        Locale.ROOT,
        "archive %s: %d layers, %.1f MB of layer tars%n",
        archive.getFileName(),
        layers.size(),
        bytes / 1e6);
    PrivateDocker daemon = null;
    if (docker) {
      daemon = PrivateDocker.start(base.resolve("docker"));
    }
    List<double[]> results = new ArrayList<>();
    try {
      for (int r = 0; r < rounds; r++) {
        double[] t = new double[3];
        // layerstore, in-process (what an embedding program pays)
        waitQuiet(ctx, pause, r == 0 ? 0 : pause);
        Path root = base.resolve("ls-" + r);
        long t0 = System.nanoTime();
        try (LayerStore store =
            LayerStore.builder(root)
                .driver(ctx.driver == null ? LayerStore.DEFAULT_DRIVER : ctx.driver)
                .open()) {
          store.load(archive);
        }
        t[0] = (System.nanoTime() - t0) / 1e9;
        // floor: sha256sum + tar -x of each layer, one after the other
        waitQuiet(ctx, pause, pause);
        Path floor = base.resolve("floor-" + r);
        Files.createDirectories(floor);
        t0 = System.nanoTime();
        int k = 0;
        for (Path l : layers) {
          Path dest = floor.resolve("l" + k++);
          Files.createDirectories(dest);
          Shell.check(List.of("sha256sum", l.toString()));
          Shell.check(
              List.of(
                  "tar",
                  "-xf",
                  l.toString(),
                  "-C",
                  dest.toString(),
                  "--numeric-owner",
                  "--xattrs",
                  "--xattrs-include=*"));
        }
        t[1] = (System.nanoTime() - t0) / 1e9;
        // docker load into the private daemon
        t[2] = Double.NaN;
        if (daemon != null) {
          waitQuiet(ctx, pause, pause);
          t0 = System.nanoTime();
          PrivateDocker.Result res = daemon.docker("load", "-q", "-i", archive.toString());
          t[2] = (System.nanoTime() - t0) / 1e9;
          if (res.exitCode() != 0) {
            throw new IOException("docker load failed: " + res.out());
          }
        }
        results.add(t);
        ctx.out.printf(
            Locale.ROOT,
            "round %d: layerstore %.2f s, floor %.2f s, docker load %s%n",
            r + 1,
            t[0],
            t[1],
            Double.isNaN(t[2]) ? "n/a" : String.format(Locale.ROOT, "%.2f s", t[2]));
        // clean up after timing
        Shell.run(List.of("rm", "-rf", root.toString(), floor.toString()));
        if (daemon != null) {
          daemon.docker("system", "prune", "-a", "-f");
        }
      }
    } finally {
      if (daemon != null) {
        daemon.close();
      }
    }
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
    for (double[] t : results) {
      for (int i = 0; i < 3; i++) {
        if (!Double.isNaN(t[i])) {
          best[i] = Math.min(best[i], t[i]);
        }
      }
    }
    ctx.out.println();
    ctx.out.printf(
        Locale.ROOT, "%-26s %10s %10s %12s%n", "best of " + rounds, "seconds", "MB/s", "vs docker");
    String[] names = {"layerstore load (in-JVM)", "floor: sha256sum + tar -x", "docker load"};
    for (int i = 0; i < 3; i++) {
      if (best[i] == Double.MAX_VALUE) {
        ctx.out.printf(Locale.ROOT, "%-26s %10s%n", names[i], "n/a");
        continue;
      }
      String ratio =
          best[2] == Double.MAX_VALUE ? "" : String.format(Locale.ROOT, "%.2fx", best[i] / best[2]);
      ctx.out.printf(
          Locale.ROOT,
          "%-26s %10.2f %10.1f %12s%n",
          names[i],
          best[i],
          bytes / 1e6 / best[i],
          ratio);
    }
    return 0;
  }

  private static void waitQuiet(Main.Context ctx, int pause, int seconds)
      throws InterruptedException {
    if (seconds > 0) {
      Thread.sleep(seconds * 1000L);
    }
  }
}

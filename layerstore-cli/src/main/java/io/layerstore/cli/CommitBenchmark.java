package io.layerstore.cli;

import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.RemoveOptions;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.Container;
import io.layerstore.container.Containers;
import io.layerstore.container.CreateOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code layerstore bench-commit FILE...}: for each {@code docker save} archive, the cost of making
 * a container and of committing it after one small file changed, in-process beside a private {@code
 * dockerd} ({@code docker create}, and {@code docker commit} of a container that made the same
 * change with {@code docker run}). Docker's figures include its CLI, as a user pays them.
 *
 * <p>The JVM is warmed up first (20 untimed create/commit cycles), as an embedding program's would
 * be. Medians and minimums are printed: this machine is shared, and the minimum shows the cost
 * without the neighbours' load. Hygiene for this machine's journal-less ext4: every round makes
 * fresh containers and layers, they are deleted after timing, and rounds are {@code --pause}
 * seconds apart (default 40).
 */
final class CommitBenchmark {

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    List<Path> archives = o.archives();
    int rounds = o.rounds();
    int pause = o.pause();
    boolean docker = o.docker();
    Path base = o.base("layerstore-bench-commit");
    PrivateDocker daemon = null;
    try {
      if (docker && PrivateDocker.available()) {
        daemon = PrivateDocker.start(base.resolve("docker"));
      }
      List<String> summary = new ArrayList<>();
      for (int k = 0; k < archives.size(); k++) {
        summary.addAll(
            bench(ctx, archives.get(k), base.resolve("store-" + k), daemon, rounds, pause));
      }
      ctx.out.println();
      ctx.out.printf(
          Locale.ROOT,
          "%-28s %-22s %12s %12s %10s%n",
          rounds + " rounds",
          "image",
          "layerstore",
          "docker",
          "ratio");
      summary.forEach(ctx.out::println);
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      if (daemon != null) {
        daemon.close();
      }
      Shell.run(List.of("rm", "-rf", base.toString()));
    }
  }

  private List<String> bench(
      Main.Context ctx, Path archive, Path root, PrivateDocker daemon, int rounds, int pause)
      throws IOException, InterruptedException {
    String name = archive.getFileName().toString();
    double[] create = new double[rounds];
    double[] commit = new double[rounds];
    double[] dockerCreate = new double[rounds];
    double[] dockerCommit = new double[rounds];
    Arrays.fill(dockerCreate, Double.NaN);
    Arrays.fill(dockerCommit, Double.NaN);
    try (LayerStore store =
        LayerStore.builder(root)
            .driver(ctx.driver == null ? LayerStore.DEFAULT_DRIVER : ctx.driver)
            .open()) {
      ImageId image = store.load(archive).get(0);
      long size = store.image(image.toString()).size();
      ctx.out.printf(Locale.ROOT, "%s: image %s, %.1f MB%n", name, image.shortId(), size / 1e6);
      String dockerImage = null;
      if (daemon != null) {
        PrivateDocker.Result r = daemon.docker("load", "-q", "-i", archive.toString());
        check(r, "docker load");
        dockerImage = r.out().strip().replaceFirst("^Loaded image( ID)?: ", "");
      }
      for (int i = 0; i < 20; i++) {
        cycle(store, image, "warmup-" + i);
      }
      for (int r = 0; r < rounds; r++) {
        if (r > 0) {
          Thread.sleep(pause * 1000L);
        }
        double[] t = cycle(store, image, "round-" + r);
        create[r] = t[0];
        commit[r] = t[1];
        if (daemon != null) {
          long t0 = System.nanoTime();
          PrivateDocker.Result c = daemon.docker("create", dockerImage, "/bin/sh");
          dockerCreate[r] = (System.nanoTime() - t0) / 1e9;
          check(c, "docker create");
          check(daemon.docker("rm", c.out().strip()), "docker rm");
          String cname = "bench-" + r;
          check(
              daemon.docker(
                  "run",
                  "--network",
                  "none",
                  "--name",
                  cname,
                  dockerImage,
                  "/bin/sh",
                  "-c",
                  "echo round-" + r + " > /etc/layerstore-bench"),
              "docker run");
          t0 = System.nanoTime();
          PrivateDocker.Result m = daemon.docker("commit", cname);
          dockerCommit[r] = (System.nanoTime() - t0) / 1e9;
          check(m, "docker commit");
          check(daemon.docker("rm", cname), "docker rm");
          check(daemon.docker("rmi", m.out().strip()), "docker rmi");
        }
        ctx.out.printf(
            Locale.ROOT,
            "  round %d: create %.1f ms (docker %s), commit %.1f ms (docker %s)%n",
            r + 1,
            create[r] * 1e3,
            ms(dockerCreate[r]),
            commit[r] * 1e3,
            ms(dockerCommit[r]));
      }
    } finally {
      Shell.run(List.of("rm", "-rf", root.toString()));
    }
    List<String> out = new ArrayList<>();
    out.add(row("create container, median", name, median(create), median(dockerCreate)));
    out.add(row("create container, min", name, min(create), min(dockerCreate)));
    out.add(row("commit one change, median", name, median(commit), median(dockerCommit)));
    out.add(row("commit one change, min", name, min(commit), min(dockerCommit)));
    return out;
  }

  /**
   * One in-process cycle: create (timed), write one small file through a read-write mount, commit
   * (timed), then remove the container and the new image (untimed).
   */
  private static double[] cycle(LayerStore store, ImageId image, String tag) throws IOException {
    Containers containers = store.containers();
    long t0 = System.nanoTime();
    Container c = containers.create(image.toString(), CreateOptions.defaults());
    double create = (System.nanoTime() - t0) / 1e9;
    try (Mount m = containers.mount(c.id().hex())) {
      Files.writeString(m.root().resolve("etc/layerstore-bench"), tag + "\n");
    }
    t0 = System.nanoTime();
    ImageId committed = containers.commit(c.id().hex(), CommitOptions.defaults());
    double commit = (System.nanoTime() - t0) / 1e9;
    containers.remove(c.id().hex(), RemoveOptions.defaults());
    store.remove(committed.toString(), RemoveOptions.defaults().force());
    return new double[] {create, commit};
  }

  private static String row(String what, String image, double ours, double docker) {
    String ratio = Double.isNaN(docker) ? "" : String.format(Locale.ROOT, "%.2fx", ours / docker);
    return String.format(
        Locale.ROOT, "%-28s %-22s %9.1f ms %12s %10s", what, image, ours * 1e3, ms(docker), ratio);
  }

  private static String ms(double seconds) {
    return Double.isNaN(seconds) ? "n/a" : String.format(Locale.ROOT, "%.1f ms", seconds * 1e3);
  }

  private static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static void check(PrivateDocker.Result r, String what) throws IOException {
    if (r.exitCode() != 0) {
      throw new IOException(what + " failed: " + r.out());
    }
  }
}

package io.layerstore.cli;

import io.layerstore.LayerStore;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What one {@code bench-*} command shares among its contenders: the work directory (deleted at the
 * end), the private {@code dockerd} when Docker is compared, the launcher of our command line, and
 * the {@link BenchHarness} that times them all the same way.
 */
final class BenchSession implements AutoCloseable {
  final Main.Context ctx;
  final BenchOptions options;
  final Path base;
  final PrivateDocker docker;
  final BenchHarness harness;

  /**
   * Daemons started for single runs ({@link #dockerFor}) and the process ids their CPU time is read
   * from; stopped at the end at the latest.
   */
  private final java.util.Map<PrivateDocker, List<Long>> runDaemons =
      new java.util.LinkedHashMap<>();

  private BenchSession(Main.Context ctx, BenchOptions options, Path base, PrivateDocker docker)
      throws IOException {
    this.ctx = ctx;
    this.options = options;
    this.base = base;
    this.docker = docker;
    List<Long> daemons = docker == null ? List.of() : docker.pids();
    this.harness =
        new BenchHarness(ctx.out, base, options.rounds(), options.pause(), new CpuClock(daemons));
    try {
      // our command line's jar and class-data archive, read by every CLI run
      Path launcher = launcher();
      harness.keepWarm(launcher.resolveSibling("layerstore.jar"));
      harness.keepWarm(launcher.resolveSibling("layerstore.jsa"));
    } catch (IOException e) {
      // no launcher (run from the IDE): the CLI rows fail on their own and say why
    }
  }

  /**
   * Makes the work directory and starts the private daemon unless {@code --no-docker} (or no {@code
   * dockerd} on this machine, which is said).
   */
  static BenchSession open(Main.Context ctx, BenchOptions o, String name)
      throws IOException, InterruptedException {
    Path base = o.base("layerstore-bench-" + name);
    PrivateDocker docker = null;
    try {
      if (o.docker()) {
        if (PrivateDocker.available()) {
          docker = PrivateDocker.start(base.resolve("docker"));
        } else {
          ctx.out.println("no dockerd on this machine: the docker rows are left out");
        }
      }
      return new BenchSession(ctx, o, base, docker);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (docker != null) {
        docker.close();
      }
      Shell.run(List.of("rm", "-rf", base.toString()));
      throw e;
    }
  }

  /**
   * A private dockerd of its own for one run, its data-root in {@code fresh}, its CPU time charged
   * to the runs from now on. A run that needs a daemon without the previous runs' images gets one
   * of these instead of removing them from the session's daemon: a removal deletes a tree as large
   * as the next run makes, and deleting while timing skews the next runs ({@link BenchHarness}).
   * Stop it with {@link #stop} in the run's cleanup; the session stops any left at its end.
   */
  PrivateDocker dockerFor(Path fresh) throws IOException, InterruptedException {
    // sockets and logs under the work directory: a unix socket's path has at most 107 bytes
    PrivateDocker d =
        PrivateDocker.start(base.resolve("d" + runDaemons.size()), fresh.resolve("docker"));
    List<Long> pids = d.pids();
    runDaemons.put(d, pids);
    harness.clock().watch(pids);
    return d;
  }

  /** Stops a daemon of {@link #dockerFor} and stops charging its CPU time to runs. */
  void stop(PrivateDocker d) throws IOException {
    harness.clock().unwatch(runDaemons.getOrDefault(d, List.of()));
    d.close();
  }

  /** A store at {@code root} with the driver the command line chose. */
  LayerStore store(Path root) throws IOException {
    return LayerStore.builder(root)
        .driver(ctx.driver == null ? LayerStore.DEFAULT_DRIVER : ctx.driver)
        .open();
  }

  /**
   * Our command line as a user runs it: the launcher {@code layerstore} (beside {@code
   * layerstore.jar}, with its class-data-sharing archive) on store {@code root}.
   */
  List<String> ours(Path root, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(launcher().toString());
    cmd.add("--root");
    cmd.add(root.toString());
    if (ctx.driver != null) {
      cmd.add("--driver");
      cmd.add(ctx.driver);
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** The launcher the build writes beside the jar this class was loaded from. */
  static Path launcher() throws IOException {
    Path jar;
    try {
      jar = Path.of(BenchSession.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | RuntimeException e) {
      throw new IOException("cannot tell where layerstore.jar is: " + e, e);
    }
    Path launcher = jar.resolveSibling("layerstore");
    if (!Files.isExecutable(launcher)) {
      throw new IOException(
          "the launcher "
              + launcher
              + " is missing: run the benchmark from the jar that mvn package built"
              + " (layerstore-cli/target/layerstore.jar)");
    }
    return launcher;
  }

  /** Prints a result table, with a blank line before it. */
  void print(List<String> table) {
    ctx.out.println();
    table.forEach(ctx.out::println);
  }

  @Override
  public void close() throws IOException {
    try {
      for (PrivateDocker d : runDaemons.keySet()) {
        d.close();
      }
      if (docker != null) {
        docker.close();
      }
    } finally {
      Shell.run(List.of("rm", "-rf", base.toString()));
    }
  }
}

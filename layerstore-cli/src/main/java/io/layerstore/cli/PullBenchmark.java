package io.layerstore.cli;

import static io.layerstore.cli.BenchTable.Pair.API;
import static io.layerstore.cli.BenchTable.Pair.CLI;

import io.layerstore.LayerStore;
import io.layerstore.PullOptions;
import io.layerstore.cli.BenchHarness.Contender;
import io.layerstore.cli.BenchHarness.Trial;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code layerstore bench-pull FILE}: the image of {@code FILE} (a {@code docker save} archive) is
 * pushed by the private dockerd into a loopback {@code docker-registry} (untimed); then each run
 * pulls it into an empty store — our launcher against {@code docker pull}, our API in-process
 * against the Engine API's pull ({@code POST /images/create?fromImage=}) — with the disk settled
 * before every run, as every benchmark is timed ({@link BenchHarness}).
 */
final class PullBenchmark {
  private static final String IN_PROCESS = "LayerStore.pull (in-process)";
  private static final String ENGINE_PULL = "docker Engine API pull (POST /images/create)";

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    if (o.archives().size() != 1) {
      throw new Main.UsageException("give one image FILE\n" + o.usage());
    }
    Path archive = o.archives().get(0);
    try (BenchSession s = BenchSession.open(ctx, o, "pull");
        LoopbackRegistry registry = LoopbackRegistry.start(s.base.resolve("registry"))) {
      if (s.docker == null) {
        throw new IOException("bench-pull needs dockerd: it pushes the image into the registry");
      }
      String ref = registry.host() + "/bench/pull:latest";
      ctx.out.printf(Locale.ROOT, "pushing %s as %s with dockerd (untimed)%n", archive, ref);
      String image = s.docker.load(archive);
      Shell.check(s.docker.cli("tag", image, ref));
      Shell.check(s.docker.cli("push", "-q", ref));
      // each docker pull runs in a daemon of its own (BenchSession.dockerFor), so it downloads
      // everything and nothing is deleted while the benchmark runs
      List<Contender> rows = new ArrayList<>();
      rows.add(
          new Contender(
              "layerstore pull (launcher)",
              CLI,
              false,
              fresh ->
                  Trial.of(() -> Shell.check(s.ours(fresh.resolve("store"), "pull", "-q", ref)))));
      rows.add(
          new Contender(
              "docker pull (CLI)",
              CLI,
              true,
              fresh -> {
                PrivateDocker d = s.dockerFor(fresh);
                return Trial.of(() -> Shell.check(d.cli("pull", "-q", ref)), () -> s.stop(d));
              }));
      rows.add(
          new Contender(
              ENGINE_PULL,
              API,
              true,
              fresh -> {
                PrivateDocker d = s.dockerFor(fresh);
                return Trial.of(() -> d.engine().pull(ref), () -> s.stop(d));
              }));
      rows.add(
          new Contender(
              IN_PROCESS,
              API,
              false,
              fresh ->
                  Trial.of(
                      () -> {
                        try (LayerStore store = s.store(fresh.resolve("store"))) {
                          store.pull(ref, PullOptions.defaults());
                        }
                      })));
      List<BenchTable.Row> results = s.harness.run("pull " + archive.getFileName(), rows);
      s.print(
          BenchTable.format(
              String.format(
                  Locale.ROOT,
                  "pull %s from a loopback registry, %d rounds",
                  archive.getFileName(),
                  o.rounds()),
              results,
              1,
              "image"));
      ctx.out.println(
          BenchTable.goal(
              "layerstore pull within 0.5x docker pull (CLI)",
              BenchTable.medianOf(results, rows.get(0).name()),
              0.5 * BenchTable.medianOf(results, "docker pull (CLI)")));
      ctx.out.println(
          BenchTable.goal(
              "LayerStore.pull within 0.5x the Engine API's pull (API)",
              BenchTable.medianOf(results, IN_PROCESS),
              0.5 * BenchTable.medianOf(results, ENGINE_PULL)));
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}

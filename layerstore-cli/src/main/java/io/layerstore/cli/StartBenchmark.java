package io.layerstore.cli;

import static io.layerstore.cli.BenchTable.Pair.API;
import static io.layerstore.cli.BenchTable.Pair.CLI;
import static io.layerstore.cli.BenchTable.Pair.FLOOR;

import io.layerstore.LayerStore;
import io.layerstore.cli.BenchHarness.Contender;
import io.layerstore.cli.BenchHarness.Trial;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code layerstore bench-start}: what listing images costs from cold, in both pairs — {@code
 * layerstore images} through the launcher (a new JVM with its class-data-sharing archive) against
 * {@code docker images}, a store opened and listed in-process against the Engine API's {@code GET
 * /images/json} — beside the floors of starting any process ({@code /bin/true}) and a bare JVM
 * ({@code java -Xshare:auto -version}). Every store is a new empty one.
 */
final class StartBenchmark {

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    try (BenchSession s = BenchSession.open(ctx, o, "start")) {
      List<Contender> rows = new ArrayList<>();
      rows.add(
          new Contender(
              "layerstore images (launcher)",
              CLI,
              false,
              fresh -> Trial.of(() -> Shell.check(s.ours(fresh.resolve("store"), "images")))));
      rows.add(
          new Contender(
              "LayerStore.open + images (in-process)",
              API,
              false,
              fresh ->
                  Trial.of(
                      () -> {
                        try (LayerStore store = s.store(fresh.resolve("store"))) {
                          store.images();
                        }
                      })));
      if (s.docker != null) {
        rows.add(
            new Contender(
                "docker images (CLI)",
                CLI,
                true,
                fresh -> Trial.of(() -> Shell.check(s.docker.cli("images")))));
        rows.add(
            new Contender(
                "GET /images/json (Engine API)",
                API,
                true,
                fresh -> Trial.of(() -> s.docker.engine().images())));
      }
      rows.add(
          new Contender(
              "floor: /bin/true (a process)",
              FLOOR,
              false,
              fresh -> Trial.of(() -> Shell.check(List.of("/bin/true")))));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      rows.add(
          new Contender(
              "floor: java -Xshare:auto -version (a JVM)",
              FLOOR,
              false,
              fresh -> Trial.of(() -> Shell.check(List.of(java, "-Xshare:auto", "-version")))));
      List<BenchTable.Row> results = s.harness.run("start", rows);
      s.print(BenchTable.format("start-up, " + o.rounds() + " rounds", results, 0, ""));
      ctx.out.println(
          BenchTable.goal(
              "layerstore images through the launcher",
              BenchTable.medianOf(results, "layerstore images (launcher)"),
              0.250));
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}

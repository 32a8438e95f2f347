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
import java.util.Locale;

/**
 * {@code layerstore bench-save FILE}: writing the image of FILE back as a docker save archive, in
 * both pairs — {@code layerstore save} against {@code docker save}, {@code LayerStore.save} against
 * the Engine API's {@code GET /images/get} — beside the floor, a plain copy of the archive's bytes
 * ({@code cp}: one read and one write of as much data). The image is loaded once, untimed, into our
 * store and into Docker; each save goes to a fresh file.
 */
final class SaveBenchmark {

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    Path archive = o.archive(o.usage());
    try (BenchSession s = BenchSession.open(ctx, o, "save");
        LayerStore store = s.store(s.base.resolve("store"))) {
      String ours = store.load(archive).get(0).toString();
      String theirs = s.docker == null ? null : s.docker.load(archive);
      ctx.out.printf(Locale.ROOT, "%s: image %s%n", archive.getFileName(), ours);
      Path root = s.base.resolve("store");
      // What a save reads: both stores' layers, and the archive the floor copies.
      s.harness.keepWarm(root);
      s.harness.keepWarm(archive);
      if (s.docker != null) {
        s.harness.keepWarm(s.docker.dataRoot());
      }
      List<Contender> rows = new ArrayList<>();
      rows.add(
          new Contender(
              "layerstore save (launcher)",
              CLI,
              false,
              fresh -> Trial.of(() -> Shell.check(s.ours(root, "save", "-o", out(fresh), ours)))));
      rows.add(
          new Contender(
              "LayerStore.save (in-process)",
              API,
              false,
              fresh -> Trial.of(() -> store.save(List.of(ours), fresh.resolve("out.tar")))));
      if (theirs != null) {
        rows.add(
            new Contender(
                "docker save (CLI)",
                CLI,
                true,
                fresh ->
                    Trial.of(() -> Shell.check(s.docker.cli("save", "-o", out(fresh), theirs)))));
        rows.add(
            new Contender(
                "GET /images/get (Engine API)",
                API,
                true,
                fresh ->
                    Trial.of(
                        () -> s.docker.engine().save(List.of(theirs), fresh.resolve("out.tar")))));
      }
      rows.add(
          new Contender(
              "floor: cp of the archive",
              FLOOR,
              false,
              fresh -> Trial.of(() -> Shell.check(List.of("cp", archive.toString(), out(fresh))))));
      List<BenchTable.Row> results = s.harness.run("save", rows);
      s.print(
          BenchTable.format(
              "save " + archive.getFileName() + ", " + o.rounds() + " rounds", results, 0, ""));
      ctx.out.println(
          BenchTable.goal(
              "layerstore save within 0.5x docker save (CLI)",
              BenchTable.medianOf(results, "layerstore save (launcher)"),
              0.5 * BenchTable.medianOf(results, "docker save (CLI)")));
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static String out(Path fresh) {
    return fresh.resolve("out.tar").toString();
  }
}

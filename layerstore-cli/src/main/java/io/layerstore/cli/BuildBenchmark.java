package io.layerstore.cli;

import static io.layerstore.cli.BenchTable.Pair.API;
import static io.layerstore.cli.BenchTable.Pair.FLOOR;

import io.layerstore.LayerStore;
import io.layerstore.PushOptions;
import io.layerstore.build.LayerSpec;
import io.layerstore.cli.BenchHarness.Contender;
import io.layerstore.cli.BenchHarness.Trial;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code layerstore bench-build DIR}: building a one-layer image from the tree {@code DIR} (issue
 * 14 uses a Debian {@code /usr}: 121 MB, 6k files) with {@link LayerStore#build()} into a fresh
 * store: a first build pushed to an empty loopback {@code docker-registry} of the run's own (the
 * build compresses the layer as it stores it, the push uploads that blob), and a rebuild with
 * nothing changed (the layer cache's case), beside the floor {@code tar -c | gzip -6 | sha256sum}
 * of the same tree.
 */
final class BuildBenchmark {

  static final String FIRST = "LayerStore.build + push, first build (in-process)";
  static final String REBUILD = "LayerStore.build, rebuild, nothing changed";

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    Path tree = o.archives().get(0);
    if (!Files.isDirectory(tree)) {
      throw new Main.UsageException(
          "bench-build wants a directory, not " + tree + "\n" + o.usage());
    }
    try (BenchSession s = BenchSession.open(ctx, o, "build")) {
      long files;
      long bytes = 0;
      try (Stream<Path> all = Files.walk(tree)) {
        List<Path> regular = all.filter(Files::isRegularFile).toList();
        files = regular.size();
        for (Path p : regular) {
          bytes += Files.size(p);
        }
      }
      ctx.out.printf(Locale.ROOT, "%n%s: %.1f MB in %d regular files%n", tree, bytes / 1e6, files);
      s.harness.keepWarm(tree);
      LayerSpec layer = LayerSpec.builder().keepPermissions().addDirectory(tree, "/usr").build();
      List<Contender> rows = new ArrayList<>();
      rows.add(
          new Contender(
              FIRST,
              API,
              false,
              fresh -> {
                // a registry of the run's own, empty, started untimed; stopped after the run
                LoopbackRegistry registry = LoopbackRegistry.start(fresh.resolve("registry"));
                LayerStore store;
                try {
                  store = s.store(fresh.resolve("store"));
                } catch (IOException | RuntimeException e) {
                  registry.close();
                  throw e;
                }
                String ref = registry.host() + "/bench/build:1";
                return Trial.of(
                    () -> {
                      store.build().addLayer(layer).tag(ref);
                      store.push(ref, PushOptions.defaults());
                    },
                    () -> {
                      store.close();
                      registry.close();
                    });
              }));
      rows.add(
          new Contender(
              REBUILD,
              API,
              false,
              fresh -> {
                LayerStore store = s.store(fresh.resolve("store"));
                store.build().addLayer(layer).tag("bench:1"); // untimed: fills the cache
                return Trial.of(() -> store.build().addLayer(layer).tag("bench:1"), store::close);
              }));
      rows.add(
          new Contender(
              "floor: tar -c | gzip -6 | sha256sum",
              FLOOR,
              true,
              fresh -> Trial.of(() -> Shell.check(floor(tree)))));
      List<BenchTable.Row> results = s.harness.run("build " + tree.getFileName(), rows);
      s.print(
          BenchTable.format(
              String.format(Locale.ROOT, "build %s, %d rounds", tree, o.rounds()),
              results,
              files,
              "file"));
      double first = BenchTable.medianOf(results, FIRST);
      ctx.out.println(
          BenchTable.goal(
              "first build + push within 0.7x the floor",
              first,
              0.7 * BenchTable.medianOf(results, rows.get(2).name())));
      ctx.out.println(
          BenchTable.goal(
              "rebuild within 0.1x the first build",
              BenchTable.medianOf(results, REBUILD),
              0.1 * first));
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** GNU tar of the tree, numeric owners, into gzip at level 6, hashed: one read, one core each. */
  static List<String> floor(Path tree) {
    return List.of(
        "bash",
        "-c",
        "set -eo pipefail; tar -C \"$1\" --numeric-owner -cf - . | gzip -6 | sha256sum > /dev/null",
        "floor",
        tree.toString());
  }
}

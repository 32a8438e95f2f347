package io.layerstore.cli;

import static io.layerstore.cli.BenchTable.Pair.API;
import static io.layerstore.cli.BenchTable.Pair.CLI;

import io.layerstore.LayerStore;
import io.layerstore.PushOptions;
import io.layerstore.cli.BenchHarness.Contender;
import io.layerstore.cli.BenchHarness.Trial;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code layerstore bench-push FILE}: the image of {@code FILE} (a {@code docker save} archive) is
 * loaded once into a store of ours and into the private dockerd (untimed); each run then pushes it
 * to an empty loopback {@code docker-registry} of its own (started untimed, on a new port, so no
 * contender finds a blob there or a record of one from an earlier run): our launcher, {@code docker
 * push}, {@code skopeo copy} from the archive, and our API in-process against the Engine API's push
 * ({@code POST /images/{name}/push}), the like-for-like pair for an embedding program. Every layer
 * is compressed and uploaded in every run.
 */
final class PushBenchmark {
  private static final String IN_PROCESS = "LayerStore.push (in-process)";
  private static final String ENGINE_PUSH = "docker Engine API push (POST /images/{name}/push)";

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    if (o.archives().size() != 1) {
      throw new Main.UsageException("give one image FILE\n" + o.usage());
    }
    Path archive = o.archives().get(0);
    try (BenchSession s = BenchSession.open(ctx, o, "push")) {
      Path ours = s.base.resolve("store");
      String image;
      try (LayerStore store = s.store(ours)) {
        image = store.loadDetailed(archive).get(0).id().toString();
      }
      String dockerImage = s.docker == null ? null : s.docker.load(archive);
      s.harness.keepWarm(ours);
      s.harness.keepWarm(archive);
      List<Contender> rows = new ArrayList<>();
      rows.add(
          pushing(
              "layerstore push (launcher)",
              CLI,
              false,
              (ref, fresh) -> {
                Shell.check(s.ours(ours, "tag", image, ref));
                return () -> Shell.check(s.ours(ours, "push", "-q", ref));
              }));
      if (s.docker != null) {
        rows.add(
            pushing(
                "docker push (CLI)",
                CLI,
                true,
                (ref, fresh) -> {
                  Shell.check(s.docker.cli("tag", dockerImage, ref));
                  return () -> Shell.check(s.docker.cli("push", "-q", ref));
                }));
      }
      if (s.docker != null) {
        rows.add(
            pushing(
                ENGINE_PUSH,
                API,
                true,
                (ref, fresh) -> {
                  Shell.check(s.docker.cli("tag", dockerImage, ref));
                  return () -> s.docker.engine().push(ref);
                }));
      }
      if (Shell.found("skopeo")) {
        rows.add(
            pushing(
                "skopeo copy docker-archive: (CLI)",
                CLI,
                true,
                (ref, fresh) ->
                    () ->
                        Shell.check(
                            List.of(
                                "skopeo",
                                "copy",
                                "-q",
                                "--dest-tls-verify=false",
                                "docker-archive:" + archive,
                                "docker://" + ref))));
      }
      rows.add(
          pushing(
              IN_PROCESS,
              API,
              false,
              (ref, fresh) -> {
                try (LayerStore store = s.store(ours)) {
                  store.tag(image, ref);
                }
                return () -> {
                  try (LayerStore store = s.store(ours)) {
                    store.push(ref, PushOptions.defaults());
                  }
                };
              }));
      List<BenchTable.Row> results = s.harness.run("push " + archive.getFileName(), rows);
      s.print(
          BenchTable.format(
              String.format(
                  Locale.ROOT,
                  "push %s to an empty loopback registry, %d rounds",
                  archive.getFileName(),
                  o.rounds()),
              results,
              1,
              "image"));
      if (s.docker != null) {
        ctx.out.println(
            BenchTable.goal(
                "layerstore push within 0.5x docker push (CLI)",
                BenchTable.medianOf(results, rows.get(0).name()),
                0.5 * BenchTable.medianOf(results, "docker push (CLI)")));
        ctx.out.println(
            BenchTable.goal(
                "LayerStore.push within 0.5x the Engine API's push (API)",
                BenchTable.medianOf(results, IN_PROCESS),
                0.5 * BenchTable.medianOf(results, ENGINE_PUSH)));
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Prepares a push: the tag made for the run's registry (untimed), then the timed push. */
  private interface Push {
    BenchHarness.Action prepare(String ref, Path fresh) throws Exception;
  }

  /** A contender that pushes to a registry started for its run alone, stopped after it. */
  private static Contender pushing(String name, BenchTable.Pair pair, boolean peer, Push push) {
    return new Contender(
        name,
        pair,
        peer,
        fresh -> {
          LoopbackRegistry registry = LoopbackRegistry.start(fresh.resolve("registry"));
          try {
            String ref = registry.host() + "/bench/push:latest";
            return Trial.of(push.prepare(ref, fresh), registry::close);
          } catch (Exception e) {
            registry.close();
            throw e;
          }
        });
  }
}

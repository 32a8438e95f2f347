package io.layerstore.cli;

import static io.layerstore.cli.BenchTable.Pair.API;
import static io.layerstore.cli.BenchTable.Pair.CLI;
import static io.layerstore.cli.BenchTable.Pair.FLOOR;

import io.layerstore.LayerStore;
import io.layerstore.cli.BenchHarness.Contender;
import io.layerstore.cli.BenchHarness.Trial;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code layerstore bench-load [FILE...] [--small-files [--files N]]}: loading each image (a docker
 * save archive, or an OCI layout as a directory or tar) in both pairs — our launcher against the
 * docker CLI, our API in-process against the Engine API's {@code POST /images/load} — beside the
 * floor ({@link Floor}) and, for OCI layouts, {@code umoci raw unpack}. With {@code --small-files}
 * it also makes and loads the many-small-files image ({@link SmallFilesImage}), where the table
 * gives the time per file and user against system time.
 */
final class LoadBenchmark {

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    if (o.archives().isEmpty() && o.smallFiles() == 0) {
      throw new Main.UsageException("give an image FILE, --small-files or both\n" + o.usage());
    }
    try (BenchSession s = BenchSession.open(ctx, o, "load")) {
      List<Path> inputs = new ArrayList<>(o.archives());
      if (o.smallFiles() > 0) {
        if (s.docker == null) {
          throw new IOException("--small-files needs dockerd, which makes the archive");
        }
        Path archive = s.base.resolve("small-files-" + o.smallFiles() + ".tar");
        ctx.out.printf(Locale.ROOT, "making %s with dockerd (untimed)%n", archive.getFileName());
        SmallFilesImage.make(
            s.docker, o.smallFiles(), Files.createDirectories(s.base.resolve("make")), archive);
        inputs.add(archive);
      }
      int k = 0;
      for (Path input : inputs) {
        bench(s, input, s.base.resolve("input-" + k++));
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private void bench(BenchSession s, Path source, Path work)
      throws IOException, InterruptedException {
    ImageInput image = ImageInput.open(source, work.resolve("prep"));
    long members = image.members();
    s.ctx.out.printf(
        Locale.ROOT,
        "%n%s: %s, %d layers, %.1f MB of layer blobs, %d tar members%n",
        source.getFileName(),
        image.oci ? "OCI layout" : "docker save archive",
        image.layers.size(),
        image.bytes() / 1e6,
        members);
    // docker load takes a tar; an image given as a directory is packed once, untimed.
    Path dockerInput = source;
    if (Files.isDirectory(source)) {
      dockerInput = Files.createDirectories(work).resolve("layout.tar");
      // Members named as in the layout (no "./" prefix, which docker load does not take).
      List<String> tar =
          new ArrayList<>(List.of("tar", "-C", source.toString(), "-cf", dockerInput.toString()));
      try (var names = Files.list(source)) {
        names.map(p -> p.getFileName().toString()).sorted().forEach(tar::add);
      }
      Shell.check(tar);
    }
    // What every run reads: the input, its tar form for docker, the layer blobs the floor reads.
    s.harness.keepWarm(source);
    s.harness.keepWarm(dockerInput);
    s.harness.keepWarm(work.resolve("prep"));
    List<Contender> rows = new ArrayList<>();
    rows.add(
        new Contender(
            "layerstore load (launcher)",
            CLI,
            false,
            image.oci,
            fresh ->
                Trial.of(
                    () ->
                        Shell.check(
                            s.ours(fresh.resolve("store"), "load", "-i", source.toString())))));
    if (s.docker != null) {
      Path in = dockerInput;
      rows.add(
          new Contender(
              "docker load (CLI)",
              CLI,
              true,
              image.oci,
              fresh -> {
                PrivateDocker d = s.dockerFor(fresh);
                return Trial.of(
                    () -> Shell.check(d.cli("load", "-q", "-i", in.toString())), () -> s.stop(d));
              }));
    }
    if (image.oci && image.ociRef != null && Shell.found("umoci")) {
      rows.add(
          new Contender(
              "umoci raw unpack (CLI)",
              CLI,
              true,
              fresh ->
                  Trial.of(
                      () ->
                          Shell.check(
                              List.of(
                                  "umoci",
                                  "raw",
                                  "unpack",
                                  "--image",
                                  image.dir + ":" + image.ociRef,
                                  fresh.resolve("rootfs").toString())))));
    }
    rows.add(
        new Contender(
            "LayerStore.load (in-process)",
            API,
            false,
            image.oci,
            fresh ->
                Trial.of(
                    () -> {
                      try (LayerStore store = s.store(fresh.resolve("store"))) {
                        store.load(source);
                      }
                    })));
    if (s.docker != null) {
      Path in = dockerInput;
      rows.add(
          new Contender(
              "POST /images/load (Engine API)",
              API,
              true,
              image.oci,
              fresh -> {
                PrivateDocker d = s.dockerFor(fresh);
                return Trial.of(() -> d.engine().load(in), () -> s.stop(d));
              }));
    }
    rows.add(
        new Contender(
            "floor: "
                + (image.layers.stream().anyMatch(l -> !l.compression().isEmpty())
                    ? "decompress | "
                    : "")
                + "tee sha256sum | tar -x, parallel",
            FLOOR,
            false,
            fresh -> Trial.of(() -> Floor.unpack(image.largestFirst(), fresh))));
    List<BenchTable.Row> results = s.harness.run("load " + source.getFileName(), rows);
    s.print(
        BenchTable.format(
            String.format(
                Locale.ROOT, "load %s, %d rounds", source.getFileName(), s.options.rounds()),
            results,
            members,
            "member"));
    if (image.oci) {
      s.ctx.out.println(
          BenchTable.goal(
              "layerstore load of an OCI layout within 0.5x umoci raw unpack (CLI)",
              BenchTable.medianOf(results, rows.get(0).name()),
              0.5 * BenchTable.medianOf(results, "umoci raw unpack (CLI)")));
    }
  }
}

package io.layerstore.cli;

import static io.layerstore.cli.BenchTable.Pair.API;
import static io.layerstore.cli.BenchTable.Pair.CLI;
import static io.layerstore.cli.BenchTable.Pair.FLOOR;

import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.RemoveOptions;
import io.layerstore.cli.BenchHarness.Contender;
import io.layerstore.cli.BenchHarness.Step;
import io.layerstore.cli.BenchHarness.Trial;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.Containers;
import io.layerstore.container.CreateOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code layerstore bench-commit FILE...}: for each image, in both pairs (our launcher against the
 * docker CLI; our API in-process against the Engine API) and beside the floor: creating a
 * container; committing one that changed one small file; committing one that wrote {@code --files}
 * (default 10,000) small files; removing the image such a commit made.
 *
 * <p>Both sides get the same change the same way, untimed, before the timed step: the same tar,
 * unpacked through a read-write mount of our container and copied into Docker's by {@code PUT
 * /containers/{id}/archive} (what {@code docker cp} does), so no container is ever run. Docker's
 * image and ours are loaded once per archive; containers and committed images are removed after
 * each timed step.
 */
final class CommitBenchmark {
  static final int DEFAULT_FILES = 10_000;

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    int files = o.files(DEFAULT_FILES);
    try (BenchSession s = BenchSession.open(ctx, o, "commit")) {
      Path changes = Files.createDirectories(s.base.resolve("changes"));
      Path one = changes.resolve("one-file.tar");
      Path small = Files.createDirectories(changes.resolve("one/etc"));
      Files.writeString(small.resolve("layerstore-bench"), "changed\n");
      SmallFilesImage.pack(small.getParent(), one);
      Path many = changes.resolve("many-files.tar");
      SmallFilesImage.writeTrees(changes.resolve("many"), files, 1);
      SmallFilesImage.pack(changes.resolve("many/l1"), many);
      int k = 0;
      for (Path archive : o.archives()) {
        new PerImage(s, archive, s.base.resolve("store-" + k++)).bench(one, many, files);
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** The contenders for one image: its store (loaded once) and Docker's copy. */
  private static final class PerImage {
    private final BenchSession s;
    private final Path archive;
    private final Path root;

    PerImage(BenchSession s, Path archive, Path root) {
      this.s = s;
      this.archive = archive;
      this.root = root;
    }

    void bench(Path one, Path many, int files) throws IOException, InterruptedException {
      try (LayerStore store = s.store(root)) {
        ImageId image = store.load(archive).get(0);
        String dockerImage = null;
        if (s.docker != null) {
          dockerImage = s.docker.load(archive);
        }
        String name = archive.getFileName().toString();
        s.ctx.out.printf(Locale.ROOT, "%n%s: image %s%n", name, image.shortId());
        table("create a container, " + name, create(store, image, dockerImage), 0);
        table("commit one changed file, " + name, commit(store, image, dockerImage, one, false), 0);
        table(
            "commit " + files + " new files, " + name,
            commit(store, image, dockerImage, many, false),
            files);
        table(
            "rmi of that " + files + "-file image, " + name,
            commit(store, image, dockerImage, many, true),
            files);
      } finally {
        Shell.run(List.of("rm", "-rf", root.toString()));
      }
    }

    private void table(String what, List<Contender> rows, long files)
        throws IOException, InterruptedException {
      s.print(
          BenchTable.format(
              what + ", " + s.options.rounds() + " rounds",
              s.harness.run(what, rows),
              files,
              "file"));
    }

    private List<Contender> create(LayerStore store, ImageId image, String dockerImage) {
      Containers containers = store.containers();
      String id = image.toString();
      List<Contender> rows = new ArrayList<>();
      rows.add(
          new Contender(
              "layerstore create (launcher)",
              CLI,
              false,
              fresh -> {
                String[] made = new String[1];
                return Trial.of(
                    () -> made[0] = lastLine(Shell.output(s.ours(root, "create", id))),
                    () -> containers.remove(made[0], RemoveOptions.defaults().force()));
              }));
      if (dockerImage != null) {
        EngineApi api = s.docker.engine();
        rows.add(
            new Contender(
                "docker create (CLI)",
                CLI,
                true,
                fresh -> {
                  String[] made = new String[1];
                  return Trial.of(
                      () ->
                          made[0] =
                              lastLine(
                                  Shell.output(s.docker.cli("create", dockerImage, "/bin/sh"))),
                      () -> api.removeContainer(made[0]));
                }));
      }
      rows.add(
          new Contender(
              "Containers.create (in-process)",
              API,
              false,
              fresh -> {
                String[] made = new String[1];
                return Trial.of(
                    () -> made[0] = containers.create(id, CreateOptions.defaults()).id().hex(),
                    () -> containers.remove(made[0], RemoveOptions.defaults().force()));
              }));
      if (dockerImage != null) {
        EngineApi api = s.docker.engine();
        rows.add(
            new Contender(
                "POST /containers/create (Engine API)",
                API,
                true,
                fresh -> {
                  String[] made = new String[1];
                  return Trial.of(
                      () -> made[0] = api.createContainer(dockerImage),
                      () -> api.removeContainer(made[0]));
                }));
      }
      rows.add(
          new Contender(
              "floor: mkdir of the two layer directories",
              FLOOR,
              false,
              fresh ->
                  Trial.of(
                      () -> {
                        Files.createDirectory(fresh.resolve("init"));
                        Files.createDirectory(fresh.resolve("rw"));
                      })));
      return rows;
    }

    /**
     * Commit of a container that unpacked {@code change} or, with {@code remove}, removal of the
     * image that commit makes (the commit then being untimed preparation).
     */
    private List<Contender> commit(
        LayerStore store, ImageId image, String dockerImage, Path change, boolean remove) {
      String op = remove ? "rmi" : "commit";
      List<Contender> rows = new ArrayList<>();
      Containers containers = store.containers();
      RemoveOptions force = RemoveOptions.defaults().force();
      Prep ours =
          fresh -> {
            Made m = new Made();
            m.container = containers.create(image.toString(), CreateOptions.defaults()).id().hex();
            try (Mount mount = containers.mount(m.container)) {
              Shell.check(List.of("tar", "-xf", change.toString(), "-C", mount.root().toString()));
            }
            if (remove) {
              m.image = containers.commit(m.container, CommitOptions.defaults()).toString();
            }
            m.cleanup =
                () -> {
                  containers.remove(m.container, force);
                  if (m.image != null) {
                    store.remove(m.image, force);
                  }
                };
            return m;
          };
      rows.add(
          new Contender(
              "layerstore " + op + " (launcher)",
              CLI,
              false,
              step(
                  ours,
                  m -> {
                    if (remove) {
                      Shell.check(s.ours(root, "rmi", m.image));
                      m.image = null;
                    } else {
                      m.image = lastLine(Shell.output(s.ours(root, "commit", m.container)));
                    }
                  })));
      rows.add(
          new Contender(
              remove ? "LayerStore.remove (in-process)" : "Containers.commit (in-process)",
              API,
              false,
              step(
                  ours,
                  m -> {
                    if (remove) {
                      store.remove(m.image, RemoveOptions.defaults());
                      m.image = null;
                    } else {
                      m.image = containers.commit(m.container, CommitOptions.defaults()).toString();
                    }
                  })));
      if (dockerImage != null) {
        EngineApi api = s.docker.engine();
        Prep docker =
            fresh -> {
              Made m = new Made();
              m.container = api.createContainer(dockerImage);
              api.putArchive(m.container, change);
              if (remove) {
                m.image = api.commit(m.container, null, null);
              }
              m.cleanup =
                  () -> {
                    api.removeContainer(m.container);
                    if (m.image != null) {
                      api.removeImage(m.image, true);
                    }
                  };
              return m;
            };
        rows.add(
            new Contender(
                "docker " + op + " (CLI)",
                CLI,
                true,
                step(
                    docker,
                    m -> {
                      if (remove) {
                        Shell.check(s.docker.cli("rmi", m.image));
                        m.image = null;
                      } else {
                        m.image = lastLine(Shell.output(s.docker.cli("commit", m.container)));
                      }
                    })));
        rows.add(
            new Contender(
                remove ? "DELETE /images/{id} (Engine API)" : "POST /commit (Engine API)",
                API,
                true,
                step(
                    docker,
                    m -> {
                      if (remove) {
                        api.removeImage(m.image, false);
                        m.image = null;
                      } else {
                        m.image = api.commit(m.container, null, null);
                      }
                    })));
      }
      rows.add(
          new Contender(
              remove ? "floor: rm -rf of the files" : "floor: tar -c | tee sha256sum > layer",
              FLOOR,
              false,
              fresh -> {
                Path tree = Files.createDirectory(fresh.resolve("tree"));
                Shell.check(List.of("tar", "-xf", change.toString(), "-C", tree.toString()));
                return Trial.of(
                    remove
                        ? () -> Shell.check(List.of("rm", "-rf", tree.toString()))
                        : () -> Floor.pack(tree, fresh.resolve("layer.tar")));
              }));
      return rows;
    }
  }

  /**
   * What one side's preparation made: a container with the change, the image committed from it (for
   * rmi, and after a timed commit), and how to remove them.
   */
  private static final class Made {
    String container;
    String image;
    BenchHarness.Action cleanup;
  }

  /** One side's untimed preparation. */
  private interface Prep {
    Made prepare(Path fresh) throws Exception;
  }

  /** The timed part, on what the preparation made. */
  private interface Act {
    void run(Made m) throws Exception;
  }

  private static Step step(Prep prep, Act act) {
    return fresh -> {
      Made m = prep.prepare(fresh);
      return Trial.of(() -> act.run(m), () -> m.cleanup.run());
    };
  }

  private static String lastLine(String output) {
    return output.lines().reduce((a, b) -> b).orElse("").strip();
  }
}

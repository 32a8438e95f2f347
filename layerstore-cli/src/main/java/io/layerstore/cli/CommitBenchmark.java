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
  private record PerImage(BenchSession s, Path archive, Path root) {

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
      RemoveOptions force = RemoveOptions.defaults().force();
      rows.add(
          new Contender(
              "layerstore create (launcher)",
              CLI,
              false,
              making(
                  () -> lastLine(Shell.output(s.ours(root, "create", id))),
                  c -> containers.remove(c, force))));
      rows.add(
          new Contender(
              "Containers.create (in-process)",
              API,
              false,
              making(
                  () -> containers.create(id, CreateOptions.defaults()).id().hex(),
                  c -> containers.remove(c, force))));
      if (dockerImage != null) {
        EngineApi api = s.docker.engine();
        rows.add(
            new Contender(
                "docker create (CLI)",
                CLI,
                true,
                making(
                    () -> lastLine(Shell.output(s.docker.cli("create", dockerImage, "/bin/sh"))),
                    api::removeContainer)));
        rows.add(
            new Contender(
                "POST /containers/create (Engine API)",
                API,
                true,
                making(() -> api.createContainer(dockerImage), api::removeContainer)));
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
            String c = containers.create(image.toString(), CreateOptions.defaults()).id().hex();
            try (Mount mount = containers.mount(c)) {
              Shell.check(List.of("tar", "-xf", change.toString(), "-C", mount.root().toString()));
            }
            return made(
                c,
                remove ? containers.commit(c, CommitOptions.defaults()).toString() : null,
                id -> containers.remove(id, force),
                id -> store.remove(id, force));
          };
      rows.add(
          new Contender(
              "layerstore " + op + " (launcher)",
              CLI,
              false,
              step(
                  ours,
                  remove,
                  c -> lastLine(Shell.output(s.ours(root, "commit", c))),
                  i -> Shell.check(s.ours(root, "rmi", i)))));
      rows.add(
          new Contender(
              remove ? "LayerStore.remove (in-process)" : "Containers.commit (in-process)",
              API,
              false,
              step(
                  ours,
                  remove,
                  c -> containers.commit(c, CommitOptions.defaults()).toString(),
                  i -> store.remove(i, RemoveOptions.defaults()))));
      if (dockerImage != null) {
        EngineApi api = s.docker.engine();
        Prep docker =
            fresh -> {
              String c = api.createContainer(dockerImage);
              api.putArchive(c, change);
              return made(
                  c,
                  remove ? api.commit(c, null, null) : null,
                  api::removeContainer,
                  id -> api.removeImage(id, true));
            };
        rows.add(
            new Contender(
                "docker " + op + " (CLI)",
                CLI,
                true,
                step(
                    docker,
                    remove,
                    c -> lastLine(Shell.output(s.docker.cli("commit", c))),
                    i -> Shell.check(s.docker.cli("rmi", i)))));
        rows.add(
            new Contender(
                remove ? "DELETE /images/{id} (Engine API)" : "POST /commit (Engine API)",
                API,
                true,
                step(
                    docker,
                    remove,
                    c -> api.commit(c, null, null),
                    i -> api.removeImage(i, false))));
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

  /** What a preparation made, and its cleanup: the container, then the image if one is left. */
  private static Made made(String container, String image, Unmake dropContainer, Unmake dropImage) {
    Made m = new Made();
    m.container = container;
    m.image = image;
    m.cleanup =
        () -> {
          dropContainer.run(m.container);
          if (m.image != null) {
            dropImage.run(m.image);
          }
        };
    return m;
  }

  /** One side's untimed preparation. */
  private interface Prep {
    Made prepare(Path fresh) throws Exception;
  }

  /** A timed commit of a container; the new image's id. */
  private interface Commit {
    String run(String container) throws Exception;
  }

  /** What a timed step makes: a container's or image's id. */
  private interface Make {
    String run() throws Exception;
  }

  /** Removes what a timed step made. */
  private interface Unmake {
    void run(String id) throws Exception;
  }

  /** A step whose timed part makes something, removed after timing. */
  private static Step making(Make make, Unmake unmake) {
    return fresh -> {
      String[] made = new String[1];
      return Trial.of(() -> made[0] = make.run(), () -> unmake.run(made[0]));
    };
  }

  /**
   * The step that prepares with {@code prep}, then times {@code commit} of its container or, with
   * {@code remove}, {@code rmi} of the image its preparation committed.
   */
  private static Step step(Prep prep, boolean remove, Commit commit, Unmake rmi) {
    return fresh -> {
      Made m = prep.prepare(fresh);
      BenchHarness.Action timed =
          remove
              ? () -> {
                rmi.run(m.image);
                m.image = null;
              }
              : () -> m.image = commit.run(m.container);
      return Trial.of(timed, () -> m.cleanup.run());
    };
  }

  private static String lastLine(String output) {
    return output.lines().reduce((a, b) -> b).orElse("").strip();
  }
}

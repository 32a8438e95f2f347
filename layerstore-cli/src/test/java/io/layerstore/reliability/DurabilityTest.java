package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerstore.ChainId;
import io.layerstore.Image;
import io.layerstore.LayerStore;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.PlatformRequirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable store (the default) syncs what it publishes, checked on the real command line under
 * strace(1): for load, tag, untag and remove, the exact list of publications (renames into place,
 * deletions of records, in order) and, for each, the fsyncs a crash-safe store owes — the file or
 * layer record before its rename, the layer contents (syncfs) before the change is recorded, the
 * directory after the rename or deletion — and that each change happens inside a journal entry.
 * Removing any one of those syncs from the store makes this test fail.
 */
class DurabilityTest {

  private static final String JOURNAL = "rename layerstore/journal/<entry>.json";
  private static final String JOURNAL_DONE = "delete layerstore/journal/<entry>.json";
  private static final String REPOSITORIES = "rename image/overlay2/repositories.json";

  @TempDir Path tmp;
  private Path root;
  private Path archive;

  @BeforeEach
  void store() throws IOException {
    PlatformRequirements.requireExecutable("strace", "strace");
    // the real path: strace names files by the kernel's path, with no symlink in it
    root = Files.createDirectories(tmp.resolve("store")).toRealPath();
    ImageArchiveBuilder b = new ImageArchiveBuilder().tag("dur:1");
    b.layer().dir("etc", 0755).file("etc/hostname", "durable\n", 0644);
    b.layer().dir("app", 0755).file("app/run", "#!/bin/sh\n", 0755).whiteout("etc/hostname");
    archive = tmp.resolve("dur.tar");
    b.write(archive);
  }

  @Test
  void loadTagUntagAndRemoveSyncWhatTheyPublish() throws Exception {
    SyscallTrace load = traced("load", "-i", archive.toString());
    Image image;
    try (LayerStore s = LayerStore.open(root)) {
      image = s.image("dur:1");
    }
    String id = image.id().digest().hex();
    List<String> layers = new ArrayList<>();
    for (ChainId c : image.chainIds()) {
      layers.add("image/overlay2/layerdb/sha256/" + c.digest().hex());
    }
    List<String> published = new ArrayList<>(List.of(JOURNAL));
    layers.forEach(l -> published.add("rename " + l)); // base first
    published.addAll(
        List.of("rename image/overlay2/imagedb/content/sha256/" + id, REPOSITORIES, JOURNAL_DONE));
    check("load", load, published);

    check(
        "tag",
        traced("tag", "dur:1", "dur:alias"),
        List.of(
            JOURNAL,
            "rename image/overlay2/imagedb/metadata/sha256/" + id + "/lastUpdated",
            REPOSITORIES,
            JOURNAL_DONE));

    check("untag", traced("rmi", "dur:alias"), List.of(JOURNAL, REPOSITORIES, JOURNAL_DONE));

    List<String> removed =
        new ArrayList<>(
            List.of(JOURNAL, REPOSITORIES, "delete image/overlay2/imagedb/content/sha256/" + id));
    for (int i = layers.size() - 1; i >= 0; i--) {
      removed.add("rename " + layers.get(i) + "-<random>-removing"); // top first
    }
    removed.add(JOURNAL_DONE);
    check("rmi", traced("rmi", "dur:1"), removed);
  }

  private int runs;

  private SyscallTrace traced(String... args) throws Exception {
    return SyscallTrace.of(root, tmp.resolve("strace-" + runs++ + ".txt"), args);
  }

  private static void check(String what, SyscallTrace t, List<String> published) {
    System.err.println("durability: " + what + " fsyncs by path: " + t.fsyncsByPath());
    assertEquals(published, t.publications(), what + ": what was published, in order");
    assertEquals(List.of(), t.problems(), what + ": publications not made durable");
  }
}

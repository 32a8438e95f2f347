package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.DiffId;
import io.layerstore.ImageId;
import io.layerstore.ImageSummary;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.RootfsManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs, eight threads each, over one store: hundreds of random loads, mounts (kernel mounts
 * when run as root, shared by reference counts across the two processes), tags, removes and commits
 * (through a container) of images that share layers. The run counts only if it did the work: each
 * kind of operation reached its minimum of successes, every NotFound and Conflict had a cause in
 * the workload ({@link StressCheck}), and the two JVMs' operations overlapped in time. Afterwards
 * fsck --deep is clean (no inconsistency, no orphan, no unused layer), the images no load made are
 * exactly those commits made and no removal deleted, and every image left mounts to exactly the
 * rootfs it has when loaded alone (a committed one: its base's plus the committed file).
 */
class ConcurrencyStressTest {

  static final int THREADS = 8;
  static final int OPS_PER_THREAD = Integer.getInteger("layerstore.stress.ops", 40);

  @TempDir Path tmp;

  /**
   * Seven images on a common base, sharing middle layers, with whiteouts and an opaque directory.
   */
  static void images(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<String[]> specs =
        List.of(
            new String[] {"b1"},
            new String[] {"b1", "b2"},
            new String[] {"b1", "b2", "m"},
            new String[] {"b1", "b2", "m", "t3"},
            new String[] {"b1", "b2", "t4"},
            new String[] {"b1", "t5"},
            new String[] {"b1", "b2", "m", "t6"});
    for (int i = 0; i < specs.size(); i++) {
      ImageArchiveBuilder b = new ImageArchiveBuilder().tag("img" + i + ":1");
      for (String l : specs.get(i)) {
        layer(b.layer(), l);
      }
      b.write(dir.resolve("img" + i + ".tar"));
    }
  }

  private static void layer(ImageArchiveBuilder.LayerBuilder l, String which) throws IOException {
    switch (which) {
      case "b1":
        l.dir("etc", 0755)
            .file("etc/hostname", "base\n", 0644)
            .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644)
            .dir("usr", 0755)
            .dir("usr/bin", 0755);
        for (int i = 0; i < 60; i++) {
          l.file("usr/bin/tool" + i, "tool " + i + "\n", 0755);
        }
        l.symlink("bin", "usr/bin").hardlink("usr/bin/alias0", "usr/bin/tool0").dir("tmp", 01777);
        break;
      case "b2":
        // every parent has its own entry, as in layers Docker makes: an implicit directory would
        // get the time it was extracted, which differs from store to store
        l.dir("usr", 0755).dir("usr/bin", 0755).dir("usr/lib", 0755);
        for (int i = 0; i < 60; i++) {
          l.file("usr/lib/lib" + i + ".so", ("lib " + i + "\n").repeat(20), 0644);
        }
        l.whiteout("usr/bin/tool7");
        break;
      case "m":
        l.dir("app", 0755);
        for (int i = 0; i < 30; i++) {
          l.file("app/mod" + i, "module " + i + "\n", 0644);
        }
        break;
      case "t4":
        l.dir("usr", 0755)
            .dir("usr/lib", 0755)
            .opaque("usr/lib")
            .file("usr/lib/only.so", "only\n", 0644);
        break;
      case "t5":
        l.whiteout("etc").file("hostname-moved", "base\n", 0644);
        break;
      default:
        l.file(which + ".txt", which + "\n", 0644)
            .dir("etc", 0755)
            .file("etc/hostname", which + "\n", 0644);
    }
  }

  /**
   * The rootfs (without times) of an image with these layers: a loaded image's as loaded alone; a
   * committed one's, its base's plus the file every commit writes (commits of commits included).
   */
  private static List<String> expectedOf(
      List<DiffId> diffs, Map<List<DiffId>, List<String>> byLayers) {
    List<String> loaded = byLayers.get(diffs);
    if (loaded != null) {
      return loaded;
    }
    TreeSet<String> want = new TreeSet<>(expectedOf(diffs.subList(0, diffs.size() - 1), byLayers));
    want.add(
        "/"
            + StressWorker.COMMITTED_FILE
            + "\tfile\t0644\t0\t0\t"
            + StressWorker.COMMITTED_CONTENT.length()
            + "\t"
            + io.layerstore.Digest.of(
                    StressWorker.COMMITTED_CONTENT.getBytes(StandardCharsets.UTF_8))
                .hex()
            + "\t-");
    return new ArrayList<>(want);
  }

  /**
   * The successes a run of {@code ops} operations must reach, by kind: about a quarter to a third
   * of what a run achieves (of 640 operations, runs here made some 160 loads, 115 mounts, 85
   * commits and 100 removes; a remove often finds its image in use or taken by another thread, as
   * it should).
   */
  static Map<String, Integer> minimums(int ops) {
    return Map.of("load", ops / 16, "mount", ops / 20, "commit", ops / 27, "remove", ops / 20);
  }

  /**
   * The checks catch a worker that gets nothing done: one whose every operation ends in NotFound
   * falls short of every minimum, and none of its refusals has a cause.
   */
  @Test
  void aWorkerThatAlwaysFindsNothingFailsTheChecks() throws Exception {
    Path archives = tmp.resolve("archives");
    images(archives);
    List<Path> files = StressWorker.archives(archives);
    Path root = tmp.resolve("store");
    try (LayerStore s = LayerStore.open(root)) {
      s.load(files.get(0)); // something to aim at
    }
    StressWorker.Tally t =
        StressWorker.run(
            "always-gone",
            root,
            files,
            1,
            2,
            50,
            (op, store, a, r) -> {
              op.pick(store, r);
              throw new NotFoundException("no such image: " + op.id);
            });
    assertTrue(t.failures.isEmpty(), () -> t.failures.toString());
    assertEquals(
        100,
        t.count("load", "gone")
            + t.count("mount", "gone")
            + t.count("tag", "gone")
            + t.count("remove", "gone")
            + t.count("commit", "gone")
            + t.count("images", "gone"));
    List<String> problems = StressCheck.problems(t.events, minimums(100));
    System.err.println("concurrency stress, always NotFound: " + problems.size() + " problems");
    for (String op : List.of("load", "mount", "commit", "remove")) {
      assertTrue(
          problems.stream().anyMatch(p -> p.startsWith("only 0 successful " + op + " ")),
          () -> op + ": " + problems);
    }
    assertEquals(
        100, problems.stream().filter(p -> p.startsWith("no cause in the workload")).count());
  }

  @Test
  void twoJvmsOfEightThreadsShareOneStore() throws Exception {
    Path archives = tmp.resolve("archives");
    images(archives);
    List<Path> files = StressWorker.archives(archives);

    // what each image looks like when loaded alone
    Map<ImageId, List<String>> expected = new HashMap<>();
    Map<List<DiffId>, List<String>> byLayers = new HashMap<>();
    try (LayerStore ref = LayerStore.open(tmp.resolve("reference"))) {
      for (Path f : files) {
        ImageId id = ref.load(f).get(0);
        try (Mount m = ref.mount(id)) {
          expected.put(id, RootfsManifest.of(m.root(), true));
          byLayers.put(ref.image(id.toString()).diffIds(), RootfsManifest.of(m.root(), false));
        }
      }
    }

    Path root = tmp.resolve("store");
    LayerStore.open(root).close();
    Path theirEvents = tmp.resolve("events-second.jsonl");
    Process other =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                StressWorker.class.getName(),
                root.toString(),
                archives.toString(),
                "2",
                Integer.toString(THREADS),
                Integer.toString(OPS_PER_THREAD),
                theirEvents.toString())
            .redirectErrorStream(true)
            .start();
    StressWorker.Tally mine =
        StressWorker.run("first", root, files, 1, THREADS, OPS_PER_THREAD, StressWorker::perform);
    String otherOut = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(other.waitFor(10, TimeUnit.MINUTES));
    assertTrue(mine.failures.isEmpty(), () -> "failures in this JVM: " + mine.failures);
    assertEquals(0, other.exitValue(), otherOut);
    String theirs = otherOut.lines().filter(l -> l.startsWith("TALLY ")).findFirst().orElseThrow();
    System.err.println("concurrency stress: this JVM " + mine + "; the other " + theirs);
    List<StressWorker.Event> their = StressWorker.readEvents(theirEvents);
    assertEquals(THREADS * OPS_PER_THREAD, mine.events.size());
    assertEquals(THREADS * OPS_PER_THREAD, their.size());

    // the two JVMs worked on the store at the same time, not one after the other
    StressCheck.Span a = StressCheck.Span.of("this", mine.events);
    StressCheck.Span b = StressCheck.Span.of("the other", their);
    System.err.println("concurrency stress: " + a + "; " + b);
    assertTrue(
        a.overlap(b) >= Math.min(a.length(), b.length()) / 2,
        () -> "the JVMs overlapped for less than half the shorter run: " + a + "; " + b);

    List<StressWorker.Event> all = new ArrayList<>(mine.events);
    all.addAll(their);
    List<String> problems = StressCheck.problems(all, minimums(2 * THREADS * OPS_PER_THREAD));
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));

    try (LayerStore s = LayerStore.open(root)) {
      CheckReport r = s.check(CheckOptions.defaults().deep());
      assertTrue(r.problems().isEmpty(), r.problems()::toString);
      List<ImageSummary> left = s.images();
      Set<String> made = new TreeSet<>();
      all.stream().map(StressWorker.Event::made).filter(m -> m != null).forEach(made::add);
      all.forEach(e -> made.removeAll(e.deleted()));
      assertEquals(
          made,
          left.stream()
              .map(i -> i.id().toString())
              .filter(i -> !expected.containsKey(ImageId.parse(i)))
              .collect(Collectors.toCollection(TreeSet::new)),
          "the images left that no load made are those commits made and no removal deleted");
      int committed = 0;
      for (ImageSummary i : left) {
        assertFalse(s.isMounted(i.id()), "every mount was given back");
        if (!expected.containsKey(i.id())) {
          // made by a commit: the image it started from, plus the one file written
          List<String> want = expectedOf(s.image(i.id().toString()).diffIds(), byLayers);
          try (Mount m = s.mount(i.id())) {
            assertEquals(want, RootfsManifest.of(m.root(), false), "rootfs of committed " + i.id());
          }
          committed++;
          continue;
        }
        try (Mount m = s.mount(i.id())) {
          List<String> want = expected.get(i.id());
          List<String> got = RootfsManifest.of(m.root(), true);
          List<String> missing = new ArrayList<>(want);
          missing.removeAll(got);
          List<String> extra = new ArrayList<>(got);
          extra.removeAll(want);
          assertEquals(
              want, got, "rootfs of " + i.id() + ": missing " + missing + ", unexpected " + extra);
        }
      }
      assertEquals(made.size(), committed);
      System.err.println(
          "concurrency stress: "
              + left.size()
              + " images left ("
              + committed
              + " made by commit), "
              + r.layers()
              + " layers; fsck --deep clean");
      // the layers that stayed through the churn still make every image exactly
      for (Path f : files) {
        ImageId id = s.load(f).get(0);
        try (Mount m = s.mount(id)) {
          assertEquals(
              expected.get(id),
              RootfsManifest.of(m.root(), true),
              "rootfs of " + f.getFileName() + " reloaded");
        }
      }
      assertTrue(s.check(CheckOptions.defaults().deep()).problems().isEmpty());
    }
  }
}

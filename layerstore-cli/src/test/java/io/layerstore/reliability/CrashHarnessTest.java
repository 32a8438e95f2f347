package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.ChainId;
import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.ImageSummary;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.RemoveOptions;
import io.layerstore.container.CreateOptions;
import io.layerstore.testkit.ImageArchiveBuilder;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kill -9 harness: runs the real command line in a child JVM against a store, kills it with
 * SIGKILL at a random moment while it works, then opens the store (which recovers it) and checks:
 * fsck finds nothing wrong — no inconsistency, no orphan, no unused layer — and the store shows
 * exactly the state before the command or exactly the state after it, never a mix.
 *
 * <p>Kills per operation: {@code -Dlayerstore.crash.kills} (15 in the normal build, where each
 * costs a few seconds; the acceptance run uses 50). The moment is drawn uniformly between the
 * child's start-up time (measured on the same store) and the end of an uninterrupted run, so almost
 * every kill lands while the command is changing the store; the figures logged at the end say how
 * many found work to finish or to clean.
 */
class CrashHarnessTest {
  private static final Logger LOG = LoggerFactory.getLogger(CrashHarnessTest.class);
  private static final int KILLS = Integer.getInteger("layerstore.crash.kills", 15);

  @TempDir Path tmp;
  private Path root;
  private Path baseArchive;
  private Path bigArchive;
  private final Random random =
      new Random(Long.getLong("layerstore.crash.seed", System.nanoTime()));

  @BeforeEach
  void images() throws IOException {
    root = tmp.resolve("store");
    ImageArchiveBuilder a = new ImageArchiveBuilder().tag("base:1");
    fill(a.layer(), "base", 400);
    fill(a.layer(), "lib", 400);
    baseArchive = tmp.resolve("base.tar");
    a.write(baseArchive);
    ImageArchiveBuilder b = new ImageArchiveBuilder().tag("big:1");
    fill(b.layer(), "base", 400);
    fill(b.layer(), "lib", 400);
    fill(b.layer(), "app", 1500);
    fill(b.layer(), "data", 1500).whiteout("lib/f7");
    bigArchive = tmp.resolve("big.tar");
    b.write(bigArchive);
  }

  private static ImageArchiveBuilder.LayerBuilder fill(
      ImageArchiveBuilder.LayerBuilder l, String dir, int files) throws IOException {
    l.dir(dir, 0755);
    for (int i = 0; i < files; i++) {
      l.file(dir + "/f" + i, dir + " file " + i + "\n".repeat(i % 7), 0644);
    }
    return l;
  }

  /** What a kill found on disk before the store was opened again. */
  private static final class Figures {
    final String op;
    int kills;
    int finishedFirst;
    int oldState;
    int newState;
    int withJournal;
    int withStaging;
    int inconsistent;
    int orphans;
    int unused;

    /**
     * Start-up and whole-run times to aim the kills at; a run that ends first shortens the latter.
     */
    final long startup;

    long full;

    Figures(String op, long startup, long full) {
      this.op = op;
      this.startup = startup;
      this.full = full;
    }

    @Override
    public String toString() {
      return op
          + ": "
          + kills
          + " kills (+"
          + finishedFirst
          + " runs that ran to their end, one in five on purpose), "
          + oldState
          + " showed the old state, "
          + newState
          + " the new; "
          + withJournal
          + " left a change to finish, "
          + withStaging
          + " left staged layers; after open: "
          + inconsistent
          + " inconsistent stores, "
          + orphans
          + " orphans, "
          + unused
          + " unused layers";
    }
  }

  @Test
  void loadKilledAnywhereLeavesTheOldOrTheNewStore() throws Exception {
    load(baseArchive);
    Snapshot before = snapshot();
    load(bigArchive);
    Snapshot after = snapshot();
    remove("big:1");
    long startup = time("images");
    long full = time("load", "-i", bigArchive.toString());
    LOG.info("load: start-up {} ms, whole run {} ms", startup, full);
    remove("big:1");
    Figures f = new Figures("load", startup, full);
    for (int i = 0; f.kills < KILLS && i < 8 * KILLS; i++) {
      killAt(f, "load", "-i", bigArchive.toString());
      Snapshot now = verify(f, before, after);
      if (now.equals(after)) {
        remove("big:1");
      }
    }
    report(f);
  }

  @Test
  void removeKilledAnywhereLeavesTheOldOrTheNewStore() throws Exception {
    load(baseArchive);
    Snapshot after = snapshot();
    load(bigArchive);
    Snapshot before = snapshot();
    long startup = time("images");
    long full = time("rmi", "big:1");
    LOG.info("remove: start-up {} ms, whole run {} ms", startup, full);
    load(bigArchive);
    Figures f = new Figures("remove", startup, full);
    for (int i = 0; f.kills < KILLS && i < 8 * KILLS; i++) {
      killAt(f, "rmi", "big:1");
      Snapshot now = verify(f, before, after);
      if (now.equals(after)) {
        load(bigArchive);
      }
    }
    report(f);
  }

  @Test
  void commitKilledAnywhereLeavesTheOldOrTheNewStore() throws Exception {
    load(bigArchive);
    try (LayerStore s = open()) {
      s.containers().create("big:1", CreateOptions.defaults().name("work"));
      try (Mount m = s.containers().mount("work")) {
        Path dir = Files.createDirectories(m.root().resolve("work"));
        for (int i = 0; i < 1500; i++) {
          Files.writeString(dir.resolve("out" + i), "result " + i + "\n".repeat(i % 5));
        }
        Files.delete(m.root().resolve("app/f3"));
        Files.writeString(m.root().resolve("base/f1"), "changed\n");
      }
    }
    Snapshot before = snapshot();
    long startup = time("images");
    long full = time("commit", "work", "committed:1");
    LOG.info("commit: start-up {} ms, whole run {} ms", startup, full);
    Snapshot after = snapshot();
    remove("committed:1");
    assertEquals(before, snapshot());
    Figures f = new Figures("commit", startup, full);
    for (int i = 0; f.kills < KILLS && i < 8 * KILLS; i++) {
      killAt(f, "commit", "work", "committed:1");
      Snapshot now = verify(f, before, after);
      if (now.equals(after)) {
        remove("committed:1");
      }
    }
    report(f);
  }

  // ---- the harness

  /**
   * Half the kills anywhere from start-up to the end of a normal run; half around that end, where
   * the change is published (a run's length varies, so some of these land just before the change is
   * recorded, some while it is applied, some after).
   */
  private long delay(Figures f) {
    if (random.nextBoolean()) {
      long to = f.full + 30;
      long from = Math.min(Math.max(0, f.startup - 100), to / 2);
      return from + (long) (random.nextDouble() * (to - from));
    }
    return (long) (f.full * (0.85 + 0.4 * random.nextDouble()));
  }

  private void killAt(Figures f, String... args) throws Exception {
    long t0 = System.nanoTime();
    Process p = start(args);
    // Every fifth run goes uninterrupted, to see how long runs take now: a run right after a large
    // tree was deleted (the previous round's undo) can take several times the first one, and kills
    // aimed at the first one's end would all land before the publish.
    boolean calibrate = (f.kills + f.finishedFirst) % 5 == 4;
    boolean exited = p.waitFor(calibrate ? 120_000 : delay(f), TimeUnit.MILLISECONDS);
    if (!exited) {
      p.destroyForcibly(); // SIGKILL
      p.waitFor();
      f.kills++;
    } else {
      f.finishedFirst++; // past its end: checked all the same, not counted as a kill
      long ran = (System.nanoTime() - t0) / 1_000_000;
      f.full =
          calibrate ? ran : (f.full + ran) / 2; // a run that ended first was shorter than the aim
    }
    if (hasEntries(root.resolve("layerstore/journal"), "*.json")) {
      f.withJournal++;
    }
    if (hasEntries(root.resolve("image/overlay2/layerdb/tmp"), "write-set-*")) {
      f.withStaging++;
    }
  }

  private Snapshot verify(Figures f, Snapshot before, Snapshot after) throws IOException {
    Snapshot now;
    CheckReport r;
    try (LayerStore s = open()) {
      r = s.check(CheckOptions.defaults()); // open recovered it; check finds what recovery missed
      now = snapshot(s);
    }
    if (!r.remaining(CheckReport.Severity.ERROR).isEmpty()) {
      f.inconsistent++;
    }
    f.orphans += r.remaining(CheckReport.Severity.ORPHAN).size();
    f.unused += r.remaining(CheckReport.Severity.UNUSED).size();
    assertTrue(
        r.isClean(),
        () -> f.op + ": after kill " + f.kills + " the store is not clean: " + r.problems());
    if (now.equals(before)) {
      f.oldState++;
    } else if (now.equals(after)) {
      f.newState++;
    } else {
      throw new AssertionError(
          f.op
              + ": after kill "
              + f.kills
              + " the store shows neither the old state "
              + before
              + " nor the new "
              + after
              + " but "
              + now);
    }
    return now;
  }

  private void report(Figures f) {
    LOG.info("kill -9 harness: {}", f);
    System.err.println("kill -9 harness: " + f);
    assertEquals(0, f.inconsistent);
    assertEquals(0, f.orphans);
    assertEquals(0, f.unused);
    assertTrue(f.kills >= KILLS);
  }

  private long time(String... args) throws Exception {
    long t0 = System.nanoTime();
    Process p = start(args);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the command ends");
    assertEquals(0, p.exitValue(), () -> String.join(" ", args) + " failed");
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private Process start(String... args) throws IOException {
    return new ProcessBuilder(CliRun.command(root, args))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  /** The harness's own view of the store (its own writes need not be durable). */
  private LayerStore open() throws IOException {
    return LayerStore.builder(root).durable(false).open();
  }

  private void load(Path archive) throws IOException {
    try (LayerStore s = open()) {
      s.load(archive);
    }
  }

  private void remove(String ref) throws IOException {
    try (LayerStore s = open()) {
      s.remove(ref, RemoveOptions.defaults());
    }
  }

  private static boolean hasEntries(Path dir, String glob) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      return ds.iterator().hasNext();
    }
  }

  /** The store as a user sees it: images with tags, and the layers (chain ids) it keeps. */
  private record Snapshot(Map<String, List<String>> images, Set<String> layers) {}

  private Snapshot snapshot() throws IOException {
    try (LayerStore s = open()) {
      return snapshot(s);
    }
  }

  private Snapshot snapshot(LayerStore s) throws IOException {
    Map<String, List<String>> images = new TreeMap<>();
    Set<String> layers = new TreeSet<>();
    for (ImageSummary i : s.images()) {
      // keyed by tags where there are some: a committed image's id holds its creation time
      List<String> chain =
          s.image(i.id().toString()).chainIds().stream().map(ChainId::toString).toList();
      images.put(
          i.repoTags().isEmpty() ? i.id().toString() : String.join(",", i.repoTags()), chain);
      layers.addAll(chain);
    }
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(root.resolve("image/overlay2/layerdb/sha256"))) {
      for (Path p : ds) {
        layers.add("layerdb:" + p.getFileName());
      }
    }
    return new Snapshot(images, layers);
  }
}

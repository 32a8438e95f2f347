package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kill -9 harness: runs the real command line in a child JVM against a store, kills it with
 * SIGKILL while it works, then opens the store (which recovers it) and checks: fsck finds nothing
 * wrong — no inconsistency, no orphan, no unused layer; on every fifth round and at the end the
 * deep check, which rebuilds every layer and hashes it against its diffID — and the store shows
 * exactly the state before the command or exactly the state after it, never a mix.
 *
 * <p>A kill counts only where it landed mid-operation, which the harness reads from the store's own
 * directories right after the kill: staged layers ({@code layerdb/tmp/write-set-*}) or a recorded
 * change ({@code layerstore/journal/*.json}). Uninterrupted runs (the first, then every fifth)
 * measure when those appear, and the kills aim there; a run that ends before its kill must have
 * succeeded. Each test ends with {@link KillTally#assertLanded}: enough kills landed, a third of
 * them while staging, some while publishing.
 *
 * <p>Kills that must land per operation: {@code -Dlayerstore.crash.kills} (15 in the normal build,
 * where each costs a few seconds; the acceptance run uses 50).
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

  /** Where the kills of the current test aim; measured again every fifth round. */
  private Windows windows;

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

  @Test
  void loadKilledAnywhereLeavesTheOldOrTheNewStore() throws Exception {
    Snapshot before = withBase();
    Snapshot after = afterLoadingBig();
    KillTally t = new KillTally("load", true);
    String[] load = {"load", "-i", bigArchive.toString()};
    killRound(t, null, before, after, load); // uninterrupted: measures where to aim
    remove("big:1");
    killRounds(t, 8 * KILLS, () -> aimed(windows), before, after, () -> remove("big:1"), load);
    report(t, before, after);
  }

  @Test
  void removeKilledAnywhereLeavesTheOldOrTheNewStore() throws Exception {
    load(baseArchive);
    Snapshot after = snapshot();
    load(bigArchive);
    Snapshot before = snapshot();
    KillTally t = new KillTally("remove", false);
    String[] rmi = {"rmi", "big:1"};
    killRound(t, null, before, after, rmi);
    load(bigArchive);
    killRounds(t, 8 * KILLS, () -> aimed(windows), before, after, () -> load(bigArchive), rmi);
    report(t, before, after);
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
    KillTally t = new KillTally("commit", true);
    String[] commit = {"commit", "work", "committed:1"};
    // the first round runs to its end: it measures where to aim and makes the new state
    Path log = tmp.resolve("child-commit-first.log");
    windows = watch(start(log, commit), log, commit);
    Snapshot after = snapshot();
    remove("committed:1");
    assertEquals(before, snapshot());
    killRounds(
        t, 8 * KILLS, () -> aimed(windows), before, after, () -> remove("committed:1"), commit);
    report(t, before, after);
  }

  /**
   * The landing check is not vacuous: kills that come only once the change is published (while the
   * child JVM shuts down) are recorded as landing after it, and the check fails on them.
   */
  @Test
  void killsAfterThePublishAreNotCountedAndFailTheLandingCheck() throws Exception {
    Snapshot before = withBase();
    Snapshot after = afterLoadingBig();
    KillTally t = new KillTally("load killed after its publish", true);
    Trigger late = afterPublished(r -> repositories(r).contains("\"big\""));
    killRounds(
        t,
        3,
        () -> late,
        before,
        after,
        () -> remove("big:1"),
        "load",
        "-i",
        bigArchive.toString());
    System.err.println("kill -9 harness, kills after the publish only: " + t);
    assertEquals(0, t.landed(), t::toString);
    assertEquals(3, t.kills(KillTally.Phase.AFTER) + t.finishedFirst, t::toString);
    assertTrue(t.kills(KillTally.Phase.AFTER) > 0, () -> "no kill came before the exit: " + t);
    AssertionError e = assertThrows(AssertionError.class, () -> t.assertLanded(1));
    assertTrue(e.getMessage().contains("landed mid-operation"), e::getMessage);
  }

  /** Loads base:1 into the empty store; returns the state. */
  private Snapshot withBase() throws IOException {
    load(baseArchive);
    return snapshot();
  }

  /** The state with big:1 loaded as well; the store is left as it was. */
  private Snapshot afterLoadingBig() throws IOException {
    load(bigArchive);
    Snapshot after = snapshot();
    remove("big:1");
    return after;
  }

  private static String repositories(Path root) {
    try {
      return Files.readString(root.resolve("image/overlay2/repositories.json"));
    } catch (IOException e) {
      return ""; // not written yet
    }
  }

  // ---- the harness

  private static final String JOURNAL = "layerstore/journal";
  private static final String LAYER_TMP = "image/overlay2/layerdb/tmp";
  private static final String LAYER_RECORDS = "image/overlay2/layerdb/sha256";

  /**
   * When, in milliseconds from a command's start, an uninterrupted run was seen staging layers and
   * publishing its change (-1: not seen), and when it ended. The kills are aimed at these windows.
   */
  private record Windows(
      long stagingFrom, long stagingTo, long publishFrom, long publishTo, long end) {

    /** Aim at the publish window even when a run was too quick to be seen in it. */
    Windows {
      if (publishFrom < 0) {
        publishFrom = stagingTo >= 0 ? stagingTo : end * 9 / 10;
        publishTo = publishFrom;
      }
    }
  }

  /** When to kill a started command; returns whether the command ended first. */
  @FunctionalInterface
  private interface Trigger {
    boolean awaitKill(Process p) throws Exception;
  }

  /**
   * Where the kills aim. The harness watches the store's directories and, once the phase aimed at
   * shows, kills after a random part of that phase's length as last measured: half the kills (for
   * an operation that stages) while staging, a third while publishing; the rest at a uniform moment
   * of a whole run, which also finds start-up, the steps between the phases, and the exit.
   */
  private Trigger aimed(Windows w) {
    return p -> {
      int dice = random.nextInt(6);
      if (dice < 3 && w.stagingFrom() >= 0) {
        return killWithin(p, LAYER_TMP, "write-set-*", w.stagingTo() - w.stagingFrom());
      }
      if (dice < 5) {
        return killWithin(p, JOURNAL, "*.json", w.publishTo() - w.publishFrom());
      }
      return p.waitFor((long) (random.nextDouble() * w.end()), TimeUnit.MILLISECONDS);
    };
  }

  /**
   * Waits until {@code dir} holds an entry matching {@code glob}, then a random part of {@code
   * length} milliseconds; returns whether the process ended first.
   */
  private boolean killWithin(Process p, String dir, String glob, long length) throws Exception {
    while (!hasEntries(root.resolve(dir), glob)) {
      if (p.waitFor(1, TimeUnit.MILLISECONDS)) {
        return true;
      }
    }
    return p.waitFor((long) (random.nextDouble() * Math.max(1, length)), TimeUnit.MILLISECONDS);
  }

  /**
   * Kills only once the change is published: {@code published} holds and nothing is left in the
   * journal. For showing that the landing check catches kills that prove nothing.
   */
  private Trigger afterPublished(Predicate<Path> published) {
    return p -> {
      while (p.isAlive()) {
        if (published.test(root) && !hasEntries(root.resolve(JOURNAL), "*.json")) {
          return false;
        }
        Thread.sleep(1);
      }
      return true;
    };
  }

  /**
   * One kill round: runs the command, kills it when {@code trigger} says (every fifth run instead
   * goes uninterrupted and measures the windows again), opens and checks the store, and records
   * where the kill landed. Returns the state the store shows.
   */
  private Snapshot killRound(
      KillTally t, Trigger trigger, Snapshot before, Snapshot after, String... args)
      throws Exception {
    int round = t.kills() + t.finishedFirst;
    Path log = tmp.resolve("child-" + t.op + "-" + round + ".log");
    Process p = start(log, args);
    boolean calibrate = trigger == null || round % 5 == 4;
    boolean ended;
    if (calibrate) {
      windows = watch(p, log, args);
      ended = true;
    } else {
      ended = trigger.awaitKill(p);
    }
    KillTally.Phase onDisk = null;
    if (ended) {
      t.finishedFirst++; // checked all the same, not counted as a kill
      assertExited(p, log, args);
    } else {
      p.destroyForcibly(); // SIGKILL
      p.waitFor();
      onDisk = phaseOnDisk();
    }
    if (hasEntries(root.resolve(JOURNAL), "*.json")) {
      t.withJournal++;
    }
    if (hasEntries(root.resolve(LAYER_TMP), "write-set-*")) {
      t.withStaging++;
    }
    // the deep check (every layer rebuilt and hashed) on every fifth round; the last is in report
    Snapshot now = verify(t, before, after, round % 5 == 0);
    if (!ended) {
      t.killed(
          onDisk != null
              ? onDisk
              : now.equals(after) ? KillTally.Phase.AFTER : KillTally.Phase.BEFORE);
    }
    return now;
  }

  /** Undoes a change that was complete, for the next round. */
  @FunctionalInterface
  private interface Undo {
    void run() throws IOException;
  }

  /**
   * Kill rounds until the tally proves enough or {@code maxRounds} have run, each aimed by a fresh
   * trigger (the windows change as they are measured again); a round that left the new state is
   * undone.
   */
  private void killRounds(
      KillTally t,
      int maxRounds,
      Supplier<Trigger> aim,
      Snapshot before,
      Snapshot after,
      Undo undo,
      String... args)
      throws Exception {
    for (int i = 0; !t.enough(KILLS) && i < maxRounds; i++) {
      if (killRound(t, aim.get(), before, after, args).equals(after)) {
        undo.run();
      }
    }
  }

  /** What the killed command left: a recorded change, staged layers, or (null) nothing. */
  private KillTally.Phase phaseOnDisk() throws IOException {
    if (hasEntries(root.resolve(JOURNAL), "*.json")
        || hasEntries(root.resolve(LAYER_RECORDS), "*-removing")) {
      return KillTally.Phase.PUBLISHING;
    }
    if (hasEntries(root.resolve(LAYER_TMP), "write-set-*")) {
      return KillTally.Phase.STAGING;
    }
    return null;
  }

  /**
   * Watches an uninterrupted run to its end, looking at the store's staging and journal directories
   * every millisecond, and returns when it was seen in each.
   */
  private Windows watch(Process p, Path log, String... args) throws Exception {
    long t0 = System.nanoTime();
    long stagingFrom = -1;
    long stagingTo = -1;
    long publishFrom = -1;
    long publishTo = -1;
    while (!p.waitFor(1, TimeUnit.MILLISECONDS)) {
      long t = (System.nanoTime() - t0) / 1_000_000;
      if (hasEntries(root.resolve(JOURNAL), "*.json")) {
        publishFrom = publishFrom < 0 ? t : publishFrom;
        publishTo = t;
      } else if (hasEntries(root.resolve(LAYER_TMP), "write-set-*")) {
        stagingFrom = stagingFrom < 0 ? t : stagingFrom;
        stagingTo = t;
      }
    }
    long end = (System.nanoTime() - t0) / 1_000_000;
    assertExited(p, log, args);
    Windows w = new Windows(stagingFrom, stagingTo, publishFrom, publishTo, end);
    LOG.info("{}: {}", String.join(" ", args), w);
    return w;
  }

  /** A run that ended on its own must have succeeded. */
  private static void assertExited(Process p, Path log, String... args) throws Exception {
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the command ends");
    assertEquals(
        0,
        p.exitValue(),
        () -> {
          try {
            return String.join(" ", args) + " failed:\n" + Files.readString(log);
          } catch (IOException e) {
            return String.join(" ", args) + " failed (" + e + ")";
          }
        });
  }

  private Snapshot verify(KillTally t, Snapshot before, Snapshot after, boolean deep)
      throws IOException {
    Snapshot now;
    CheckReport r;
    try (LayerStore s = open()) {
      // open recovered the store; check finds what recovery missed, the deep one changed content
      r = s.check(deep ? CheckOptions.defaults().deep() : CheckOptions.defaults());
      now = snapshot(s);
    }
    if (deep) {
      t.deepChecks++;
    }
    if (!r.remaining(CheckReport.Severity.ERROR).isEmpty()) {
      t.inconsistent++;
    }
    t.orphans += r.remaining(CheckReport.Severity.ORPHAN).size();
    t.unused += r.remaining(CheckReport.Severity.UNUSED).size();
    assertTrue(
        r.isClean(),
        () -> t.op + ": after kill " + t.kills() + " the store is not clean: " + r.problems());
    if (now.equals(before)) {
      t.oldState++;
    } else if (now.equals(after)) {
      t.newState++;
    } else {
      throw new AssertionError(
          t.op
              + ": after kill "
              + t.kills()
              + " the store shows neither the old state "
              + before
              + " nor the new "
              + after
              + " but "
              + now);
    }
    return now;
  }

  /** The closing figures, a last deep check, and the landing check. */
  private void report(KillTally t, Snapshot before, Snapshot after) throws IOException {
    verify(t, before, after, true);
    LOG.info("kill -9 harness: {}", t);
    System.err.println("kill -9 harness: " + t);
    assertEquals(0, t.inconsistent);
    assertEquals(0, t.orphans);
    assertEquals(0, t.unused);
    t.assertLanded(KILLS);
  }

  private Process start(Path log, String... args) throws IOException {
    return new ProcessBuilder(CliRun.command(root, args))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
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

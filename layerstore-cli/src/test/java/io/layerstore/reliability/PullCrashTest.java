package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.CheckReport;
import io.layerstore.LayerStore;
import io.layerstore.PruneOptions;
import io.layerstore.PushOptions;
import io.layerstore.RemoveOptions;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull is all or nothing, whatever kills it: the command line pulls in a JVM of its own and is
 * killed with SIGKILL at random moments (half of them once layers are being staged); after each
 * kill the store, opened (so recovered), shows no image, and fsck finds nothing wrong; the next
 * pull completes and downloads only what is missing: the layers a killed pull completed stay
 * (unreferenced) and are not downloaded again. And two JVMs pulling images that share layers into
 * one store download each shared layer once (counted from the registry's access log).
 *
 * <p>Kills per run: {@code -Dlayerstore.crash.kills} (15 in the normal build; the acceptance run
 * uses 30 or more).
 */
class PullCrashTest {
  private static final int KILLS = Integer.getInteger("layerstore.crash.kills", 15);
  private static final Pattern BLOB_GET =
      Pattern.compile("\"GET /v2/[^ ]+/blobs/(sha256:[0-9a-f]{64}) HTTP/[0-9.]+\" 20[06]");

  @TempDir Path tmp;
  private RegistryServer registry;
  private final Random random =
      new Random(Long.getLong("layerstore.crash.seed", System.nanoTime()));

  @BeforeEach
  void start() throws Exception {
    PlatformRequirements.requireExecutable(RegistryServer.PROGRAM, "docker-registry");
    registry = RegistryServer.plain(tmp);
  }

  @AfterEach
  void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  /** An image whose first two layers are the same in every image made here. */
  private Path archive(String name, String tag, int layers, int files) throws IOException {
    ImageArchiveBuilder a = new ImageArchiveBuilder().tag(tag);
    for (int i = 0; i < layers; i++) {
      String dir = i < 2 ? "shared" + i : name + i;
      Random content = new Random(dir.hashCode()); // a shared layer is the same in every image
      ImageArchiveBuilder.LayerBuilder l = a.layer().dir(dir, 0755);
      for (int f = 0; f < files; f++) {
        byte[] b = new byte[2048 + content.nextInt(4096)];
        content.nextBytes(b); // incompressible: the download takes its time
        l.file(dir + "/f" + f, b, 0644);
      }
    }
    Path out = tmp.resolve(name + ".tar");
    a.write(out);
    return out;
  }

  /** Loads each archive into a store of its own and pushes its image. */
  private void push(Path... archives) throws IOException {
    try (LayerStore s = LayerStore.builder(tmp.resolve("src")).durable(false).open()) {
      for (Path a : archives) {
        String tag = s.loadDetailed(a).get(0).tags().get(0);
        s.push(tag, PushOptions.defaults());
      }
    }
  }

  private Process pull(Path root, Path log, String ref) throws IOException {
    return new ProcessBuilder(CliRun.command(root, "pull", "-q", ref))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void assertSucceeded(Process p, Path log) throws Exception {
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the pull ends");
    assertEquals(0, p.exitValue(), () -> read(log));
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private Map<String, Integer> blobGets() throws IOException {
    Map<String, Integer> out = new HashMap<>();
    Matcher m = BLOB_GET.matcher(Files.readString(registry.log(), StandardCharsets.UTF_8));
    while (m.find()) {
      out.merge(m.group(1), 1, Integer::sum);
    }
    return out;
  }

  private static Map<String, Integer> since(Map<String, Integer> before, Map<String, Integer> now) {
    Map<String, Integer> out = new HashMap<>();
    now.forEach(
        (d, n) -> {
          int k = n - before.getOrDefault(d, 0);
          if (k > 0) {
            out.put(d, k);
          }
        });
    return out;
  }

  private static boolean hasEntries(Path dir, String glob) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      return ds.iterator().hasNext();
    }
  }

  @Test
  void killedPullsLeaveNoImageAndAFsckCleanStore() throws Exception {
    String ref = registry.hostPort() + "/crash/pull:1";
    push(archive("crash", ref, 4, 600));
    Path root = tmp.resolve("store");
    // An uninterrupted pull in a store of its own: how long a whole run takes.
    Path calibration = tmp.resolve("calibration.log");
    long t0 = System.nanoTime();
    Process first = pull(tmp.resolve("calibration"), calibration, ref);
    assertSucceeded(first, calibration);
    long whole = (System.nanoTime() - t0) / 1_000_000;
    int kills = 0;
    int staging = 0;
    int finished = 0;
    int keptByKills = 0; // kills after which completed layers stayed
    int reused = 0; // pulls that did not download again the layers a killed pull left
    for (int round = 0; kills < KILLS && round < 8 * KILLS; round++) {
      Path log = tmp.resolve("pull-" + round + ".log");
      int kept = layers(root);
      Map<String, Integer> before = blobGets();
      Process p = pull(root, log, ref);
      if (awaitKill(p, root, whole)) {
        assertSucceeded(p, log);
        finished++;
        reused += assertDownloadsOnlyWhatIsMissing(kept, since(before, blobGets()));
      } else {
        if (hasEntries(root.resolve("image/overlay2/layerdb/tmp"), "write-set-*")) {
          staging++; // layers were being staged when the kill came
        }
        p.destroyForcibly(); // SIGKILL
        p.waitFor();
        kills++;
      }
      try (LayerStore s = LayerStore.builder(root).durable(false).open()) {
        CheckReport r = s.check(); // open recovered the store; check finds what it missed
        if (!s.images().isEmpty()) {
          assertTrue(r.isClean(), "after kill " + kills + ": " + r.problems());
          // the kill came after the publish (or the pull ended): the whole image is there
          assertEquals(1, s.images().size());
          assertEquals(4, s.image(ref).chainIds().size());
          s.remove(ref, RemoveOptions.defaults());
          s.prune(PruneOptions.defaults());
        } else {
          // Consistent: nothing wrong, nothing orphaned; the completed layers a kill left are
          // reported as unused, each of them, and nothing else is.
          assertEquals(
              r.remaining(), r.remaining(CheckReport.Severity.UNUSED), "after kill " + kills);
          assertEquals(layers(root), r.remaining().size(), r.remaining()::toString);
          if (!r.remaining().isEmpty()) {
            keptByKills++;
          }
        }
        assertTrue(s.images().isEmpty(), "no image after kill " + kills);
      }
    }
    System.err.printf(
        "pull kill -9: %d kills (%d while staging layers, %d left completed layers), %d pulls ended"
            + " first (%d reused layers a kill left), whole run %d ms%n",
        kills, staging, keptByKills, finished, reused, whole);
    assertTrue(kills >= KILLS, "only " + kills + " kills landed before the pull ended");
    assertTrue(staging >= KILLS / 3, "only " + staging + " kills came while layers were staged");
    // Prune removes the layers a kill left, and fsck is then clean.
    killOnceALayerIsComplete(root, ref);
    try (LayerStore s = LayerStore.builder(root).durable(false).open()) {
      s.prune(PruneOptions.defaults());
      CheckReport pruned = s.check();
      assertTrue(pruned.isClean(), () -> "after prune: " + pruned.problems());
    }
    assertEquals(0, layers(root), "layers left after prune");
    // The next pull after such a kill completes, and downloads once what the kill did not leave.
    int kept = killOnceALayerIsComplete(root, ref);
    keptByKills++;
    Map<String, Integer> before = blobGets();
    Path log = tmp.resolve("last.log");
    Process last = pull(root, log, ref);
    assertSucceeded(last, log);
    reused += assertDownloadsOnlyWhatIsMissing(kept, since(before, blobGets()));
    assertTrue(keptByKills > 0, "no kill left a completed layer");
    assertTrue(reused > 0, "no pull reused the layers a killed pull completed");
    try (LayerStore s = LayerStore.builder(root).durable(false).open()) {
      assertTrue(s.check().isClean());
      assertEquals(1, s.images().size());
      assertEquals(4, layers(root));
    }
  }

  /**
   * Kills a pull as soon as it published a layer and before the image, as many times as it takes (a
   * pull that ends first is undone); the number of layers left.
   */
  private int killOnceALayerIsComplete(Path root, String ref) throws Exception {
    for (int attempt = 0; attempt < 20; attempt++) {
      Path log = tmp.resolve("early-" + attempt + ".log");
      Process p = pull(root, log, ref);
      while (layers(root) == 0 && !p.waitFor(1, TimeUnit.MILLISECONDS)) {
        // polling the layerdb: the first layer published ends the wait
      }
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor();
      } else {
        assertSucceeded(p, log);
      }
      try (LayerStore s = LayerStore.builder(root).durable(false).open()) {
        if (s.images().isEmpty()) {
          CheckReport r = s.check();
          assertEquals(r.remaining(), r.remaining(CheckReport.Severity.UNUSED));
          if (layers(root) > 0) {
            return layers(root);
          }
          continue; // the layer's change was cut short and rolled back: again
        }
        s.remove(ref, RemoveOptions.defaults()); // too late: the image was there; again
        s.prune(PruneOptions.defaults());
      }
    }
    throw new AssertionError("no kill landed between a layer's publish and the image's");
  }

  /**
   * Checks that a pull into a store holding {@code kept} of the image's 4 layers downloaded the
   * other layers and the config, each once; 1 if it reused kept layers, else 0.
   */
  private static int assertDownloadsOnlyWhatIsMissing(int kept, Map<String, Integer> gets) {
    assertEquals(5 - kept, gets.size(), () -> kept + " layers were kept; downloaded " + gets);
    assertTrue(gets.values().stream().allMatch(n -> n == 1), gets::toString);
    return kept > 0 ? 1 : 0;
  }

  /** How many layers the store's layerdb holds, referenced or not. */
  private static int layers(Path root) throws IOException {
    Path dir = root.resolve("image/overlay2/layerdb/sha256");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return (int) s.filter(Files::isDirectory).count();
    }
  }

  /**
   * Waits for the moment to kill {@code p}: half the time once layers are being staged (then a
   * random part of half a run), else at a uniform moment of a whole run, which also finds start-up,
   * the manifest and config requests, the publish and the exit. Returns whether the pull ended
   * first.
   */
  private boolean awaitKill(Process p, Path root, long whole) throws Exception {
    if (random.nextBoolean()) {
      while (!hasEntries(root.resolve("image/overlay2/layerdb/tmp"), "write-set-*")) {
        if (p.waitFor(1, TimeUnit.MILLISECONDS)) {
          return true;
        }
      }
      return p.waitFor((long) (random.nextDouble() * whole / 2), TimeUnit.MILLISECONDS);
    }
    return p.waitFor((long) (random.nextDouble() * whole), TimeUnit.MILLISECONDS);
  }

  @Test
  void twoJvmsPullingImagesThatShareLayersDownloadEachLayerOnce() throws Exception {
    String a = registry.hostPort() + "/two/a:1";
    String b = registry.hostPort() + "/two/b:1";
    push(archive("a", a, 3, 300), archive("b", b, 3, 300));
    Set<String> shared = layers("two/a");
    shared.retainAll(layers("two/b")); // the configs differ, the two shared layers do not
    assertEquals(2, shared.size(), shared::toString);
    Map<String, Integer> before = blobGets();
    Path root = tmp.resolve("shared-store");
    Process pa = pull(root, tmp.resolve("a.log"), a);
    Process pb = pull(root, tmp.resolve("b.log"), b);
    assertSucceeded(pa, tmp.resolve("a.log"));
    assertSucceeded(pb, tmp.resolve("b.log"));
    Map<String, Integer> gets = since(before, blobGets());
    for (String d : shared) {
      assertEquals(1, gets.getOrDefault(d, 0), d + " downloaded " + gets.get(d) + " times");
    }
    assertEquals(6, gets.size(), "3 layers and a config each, 2 layers shared: " + gets);
    try (LayerStore s = LayerStore.builder(root).durable(false).open()) {
      assertTrue(s.check().isClean());
      assertEquals(2, s.images().size());
    }
  }

  /** The blobs linked in a repository (its layers and config), from the registry's storage. */
  private Set<String> layers(String repository) throws IOException {
    Path dir =
        registry
            .storage()
            .resolve("docker/registry/v2/repositories")
            .resolve(repository)
            .resolve("_layers/sha256");
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> "sha256:" + p.getFileName()).collect(Collectors.toCollection(HashSet::new));
    }
  }
}

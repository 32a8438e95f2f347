package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.ConflictException;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.RemoveOptions;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RootfsManifest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 §1: kernel mounts shared by processes are counted on disk — each {@code mount} left
 * behind adds one, each {@code umount} takes one away, the kernel mount goes at zero — and a mount
 * whose holders were all killed is reclaimed by the next {@code open} or by {@code fsck --repair}.
 */
class SharedMountTest {

  @TempDir Path tmp;

  @BeforeEach
  void kernelMounts() {
    PlatformRequirements.requireKernelOverlay();
  }

  private static Path archive() {
    Path a = Fixtures.fxMultiArchive();
    PlatformRequirements.require(Files.isRegularFile(a), "the fixture " + a);
    return a;
  }

  @Test
  void eachMountOfTheCommandLineNeedsItsOwnUmount() throws Exception {
    Path root = tmp.resolve("store");
    assertEquals(0, CliRun.run(root, "load", "-i", archive().toString()).status());
    CliRun first = CliRun.run(root, "mount", "fx:multi");
    CliRun second = CliRun.run(root, "mount", "fx:multi");
    assertEquals(0, first.status(), first.out());
    assertEquals(0, second.status(), second.out());
    assertEquals(first.out(), second.out(), "one mount, shared");
    Path merged = Path.of(first.out().strip());
    assertTrue(Files.isRegularFile(merged.resolve("etc/os-release")));

    assertEquals(0, CliRun.run(root, "umount", "fx:multi").status());
    assertTrue(Files.isRegularFile(merged.resolve("etc/os-release")), "the other count holds it");
    assertEquals(1, CliRun.run(root, "rmi", "fx:multi").status(), "still mounted");
    assertEquals(0, CliRun.run(root, "umount", "fx:multi").status());
    assertFalse(Files.exists(merged.resolve("etc/os-release")), "the last umount unmounts");
    CliRun third = CliRun.run(root, "umount", "fx:multi");
    assertEquals(1, third.status());
    assertTrue(third.out().contains("is not mounted"), third.out());

    for (int i = 0; i < 3; i++) {
      assertEquals(0, CliRun.run(root, "mount", "fx:multi").status());
    }
    CliRun forced = CliRun.run(root, "umount", "--force", "fx:multi");
    assertEquals(0, forced.status(), forced.out());
    assertFalse(Files.exists(merged.resolve("etc/os-release")), "--force drops every count");
    assertEquals(0, CliRun.run(root, "mount", "fx:multi").status());
    assertEquals(0, CliRun.run(root, "umount", "--all").status());
    assertEquals(0, CliRun.run(root, "rmi", "fx:multi").status(), "nothing holds it any more");
    assertEquals(0, CliRun.run(root, "fsck").status());
  }

  /** The acceptance run: two JVMs loop mount / umount / rmi / load over one store. */
  @Test
  void twoProcessesLoopingMountUmountRmiLoadNeverFailAnUmount() throws Exception {
    Path root = tmp.resolve("store");
    List<Process> workers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      workers.add(
          java(MountLoopWorker.class, root.toString(), archive().toString(), "6")
              .redirectErrorStream(true)
              .start());
    }
    for (Process p : workers) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(5, TimeUnit.MINUTES));
      assertEquals(0, p.exitValue(), out);
      assertTrue(out.contains("ok 6 "), out);
    }
    try (LayerStore store = LayerStore.open(root)) {
      CheckReport r = store.check(CheckOptions.defaults().deep());
      assertTrue(r.isClean(), r.toString());
      store.load(archive());
      ImageId id = store.resolve("fx:multi");
      assertFalse(store.isMounted(id), "every count was given back");
      try (Mount m = store.mount(id)) {
        assertTrue(m.isKernelMount());
        assertEquals(
            RootfsManifest.read(Fixtures.fxMultiManifest(), true),
            RootfsManifest.of(m.root(), true),
            "the image mounts to Docker's rootfs");
      }
    }
  }

  @Test
  void openReclaimsTheMountOfAKilledHolder() throws Exception {
    Path root = tmp.resolve("store");
    try (LayerStore store = LayerStore.open(root)) {
      store.load(archive());
    }
    Path merged = killHolder(root);
    assertTrue(mounted(merged), "the killed holder's kernel mount is still up");
    try (LayerStore store = LayerStore.open(root)) {
      assertFalse(mounted(merged), "open reclaimed it");
      assertFalse(store.isMounted(store.resolve("fx:multi")));
      assertEquals(1, store.remove("fx:multi", RemoveOptions.defaults()).deleted().size());
      assertTrue(store.check().isClean());
    }
  }

  @Test
  void fsckReportsTheMountOfAKilledHolderAndRepairReclaimsIt() throws Exception {
    Path root = tmp.resolve("store");
    try (LayerStore store = LayerStore.open(root)) {
      ImageId id = store.load(archive()).get(0);
      Path merged = killHolder(root); // while this store is open: its open() ran before
      assertTrue(store.isMounted(id));
      assertThrows(
          ConflictException.class, () -> store.remove("fx:multi", RemoveOptions.defaults()));
      CheckReport found = store.check();
      assertEquals(
          List.of(CheckReport.Kind.ABANDONED_MOUNT),
          found.problems().stream().map(CheckReport.Problem::kind).toList(),
          found.toString());
      assertTrue(mounted(merged), "a check without repair changes nothing");
      CheckReport repaired = store.check(CheckOptions.defaults().repair());
      assertTrue(repaired.problems().get(0).repaired(), repaired.toString());
      assertFalse(mounted(merged));
      assertFalse(store.isMounted(id));
      assertEquals(1, store.remove("fx:multi", RemoveOptions.defaults()).deleted().size());
      assertTrue(store.check().isClean());
    }
  }

  /** Starts a process that kernel-mounts fx:multi, kills it while it holds the mount. */
  private static Path killHolder(Path root) throws Exception {
    Process holder =
        java(KernelMountHolder.class, root.toString(), "fx:multi")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      String line =
          new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertTrue(line != null && line.startsWith("kernel "), "the holder mounted: " + line);
      return Path.of(line.substring("kernel ".length()));
    } finally {
      holder.destroyForcibly(); // SIGKILL: no close, no shutdown hook
      assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
    }
  }

  /** A JVM of its own running {@code main} with this test's class path. */
  private static ProcessBuilder java(Class<?> main, String... args) {
    return new ProcessBuilder(CliRun.java(main.getName(), args));
  }

  /** Whether {@code dir} is a mount point now, as the kernel's mount table says. */
  private static boolean mounted(Path dir) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[4].equals(dir.toString())) {
        return true;
      }
    }
    return false;
  }
}

package io.layerstore.union;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerstore.archive.OverlayWhiteouts;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel is the oracle: the {@link Scenario} layers are built on disk with native trees,
 * mounted with the kernel's overlayfs and opened as a union; both must show the same tree, take the
 * same writes with the same outcomes, and leave the same upper directory behind (whiteouts, opaque
 * markers, copied-up nodes; the kernel's own {@code trusted.overlay.origin/impure/uuid} and its
 * workdir aside).
 *
 * <p>Needs root and overlayfs; skipped elsewhere unless {@code layerstore.requirePlatform=true}.
 * The mount is made with {@code mount(8)} so the test does not depend on the code under test.
 */
class KernelOracleTest {

  private static final Logger log = LoggerFactory.getLogger(KernelOracleTest.class);

  private final WhiteoutFormat format = new OverlayWhiteouts();

  @TempDir Path tmp;

  private Platform platform;
  private Path mountPoint;
  private boolean mounted;
  private Path kernelUpper;
  private Tree unionUpper;
  private List<Tree> lowers;
  private FileSystem union;

  @BeforeEach
  void setUp() throws Exception {
    PlatformRequirement.require(canMountOverlay(), "root with kernel overlayfs");
    platform = Platform.forRoot(tmp);
    PlatformRequirement.require(platform.isNative(), "a native platform");

    LayerWriter l1 = layer("l1");
    Scenario.base(l1);
    LayerWriter l2 = layer("l2");
    Scenario.middle(l2);
    LayerWriter l3 = layer("l3");
    Scenario.top(l3);
    lowers = List.of(l3.tree(), l2.tree(), l1.tree());

    kernelUpper = Files.createDirectory(tmp.resolve("kernel-upper"));
    Path work = Files.createDirectory(tmp.resolve("kernel-work"));
    mountPoint = Files.createDirectory(tmp.resolve("merged"));
    String options =
        "lowerdir="
            + l3.tree().root()
            + ":"
            + l2.tree().root()
            + ":"
            + l1.tree().root()
            + ",upperdir="
            + kernelUpper
            + ",workdir="
            + work
            + ",redirect_dir=off,index=off,metacopy=off";
    String out = run("mount", "-t", "overlay", "overlay", "-o", options, mountPoint.toString());
    mounted = out == null;
    PlatformRequirement.require(mounted, "an overlay mount (" + out + ")");

    Path unionUpperDir = Files.createDirectory(tmp.resolve("union-upper"));
    unionUpper = platform.tree(unionUpperDir, tmp.resolve("union-upper.records"));
    List<Tree> branches = new ArrayList<>();
    branches.add(unionUpper);
    branches.addAll(lowers);
    union = UnionFileSystem.open(branches, format, true);
  }

  private LayerWriter layer(String name) throws IOException {
    Path dir = Files.createDirectory(tmp.resolve(name));
    return new LayerWriter(platform.tree(dir, tmp.resolve(name + ".records")), format);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (union != null) {
      union.close();
    }
    if (mounted) {
      unmount();
    }
  }

  private void unmount() throws Exception {
    String out = run("umount", mountPoint.toString());
    if (out != null) {
      throw new IllegalStateException("umount " + mountPoint + " failed: " + out);
    }
    mounted = false;
  }

  @Test
  void theUnionShowsWhatTheKernelMountShows() throws IOException {
    List<String> kernel = Listing.of(mountPoint);
    List<String> ours = Listing.of(union.getPath("/"));
    log.debug("kernel listing:\n{}", String.join("\n", kernel));
    assertEquals(String.join("\n", kernel), String.join("\n", ours));
  }

  @Test
  void writesLeaveTheSameUpperDirectoryAsTheKernel() throws Exception {
    List<String> kernelOutcomes = WriteSequence.run(mountPoint);
    List<String> ourOutcomes = WriteSequence.run(union.getPath("/"));
    assertEquals(String.join("\n", kernelOutcomes), String.join("\n", ourOutcomes));

    assertEquals(
        String.join("\n", Listing.of(mountPoint)),
        String.join("\n", Listing.of(union.getPath("/"))));

    unmount();
    union.close();
    Tree kernelTree = platform.tree(kernelUpper, tmp.resolve("kernel-upper.records"));
    List<String> kernelRaw = Listing.raw(kernelTree);
    log.debug("kernel upper after writes:\n{}", String.join("\n", kernelRaw));
    assertEquals(String.join("\n", kernelRaw), String.join("\n", Listing.raw(unionUpper)));
  }

  /** Root on Linux with overlay in /proc/filesystems and mount(8) present. */
  private static boolean canMountOverlay() {
    try {
      if (!System.getProperty("os.name").equals("Linux")) {
        return false;
      }
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      String filesystems =
          Files.readString(Path.of("/proc/filesystems"), StandardCharsets.US_ASCII);
      return Integer.valueOf(0).equals(uid)
          && filesystems.contains("\toverlay\n")
          && (Files.isExecutable(Path.of("/usr/bin/mount"))
              || Files.isExecutable(Path.of("/bin/mount")));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Runs a command; {@code null} on success, else its output and exit code. */
  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return "timed out: " + String.join(" ", command);
    }
    String output =
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return process.exitValue() == 0 ? null : "exit " + process.exitValue() + ": " + output;
  }
}

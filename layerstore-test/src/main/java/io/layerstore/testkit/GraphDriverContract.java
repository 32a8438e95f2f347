package io.layerstore.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerstore.ConflictException;
import io.layerstore.LayerStoreException;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.archive.TreeDiff.Entry;
import io.layerstore.archive.TreeDiff.Kind;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every graph driver must do, at the driver level: the role moby's {@code graphtest} plays for
 * Docker's drivers. A driver module runs it against itself by extending it once per {@link
 * Backing}:
 *
 * <pre>{@code
 * class Overlay2DiskContractTest extends GraphDriverContract {
 *   Overlay2DiskContractTest() {
 *     super("overlay2", Backing.DISK, MountKind.KERNEL, 128);
 *   }
 * }
 * }</pre>
 *
 * <p>Every test gets a fresh data-root (a temporary directory, or a fresh jimfs) and a driver
 * opened on it through its provider; after the test the driver is closed and nothing may be left
 * mounted below the root. Content goes into layers the way the store puts it there: a layer tar
 * applied with the generic unpacker and the driver's whiteout format ({@link LayerOps}), or writes
 * through a writable {@link GraphDriver#get}. Layers come back out as the store takes them: {@link
 * LayerOps#diff} and {@link LayerOps#changes}.
 *
 * <p>The graphtest cases (docs/aufs-layout.md §5.3) are here under their graphtest names; SetQuota
 * is left out because neither driver takes storage options. Where Docker's drivers have quirks (a
 * create on a missing parent leaves state behind, a get of an unknown id returns a path), the
 * correct behaviour is asserted and Docker's is noted beside it.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
public abstract class GraphDriverContract extends ContractSubject {

  private final int maxParents;

  /**
   * The run's subject and the driver's depth limit.
   *
   * @param driverName the driver's registered name
   * @param backing where this run keeps its data-root
   * @param mountKind what {@link GraphDriver#get} of a layer with ancestors gives on this backing;
   *     {@link MountKind#KERNEL} makes the run need kernel mounts: skipped where there are none,
   *     failing under {@code -Dlayerstore.requirePlatform=true}
   * @param maxParents the most ancestors a layer may have with this driver (Docker: overlay2 128,
   *     aufs 126)
   */
  protected GraphDriverContract(
      String driverName, Backing backing, MountKind mountKind, int maxParents) {
    super(driverName, backing, mountKind);
    this.maxParents = maxParents;
  }

  /**
   * The most ancestors a layer may have with this driver.
   *
   * @return the limit the constructor was given
   */
  protected final int maxParents() {
    return maxParents;
  }

  /**
   * Whether a read-only in-process mount left behind ({@link Mount#leaveMounted}) becomes a copy of
   * the merged tree at the driver's mount point (aufs on a real disk without the kernel's aufs);
   * otherwise leaving an in-process mount behind is refused. Override to say so; the default is
   * {@code false}.
   *
   * @return whether this driver, on this backing, leaves copies
   */
  protected boolean leavesCopies() {
    return false;
  }

  /**
   * Options the driver is opened with. Override to pass some (aufs: where {@code /proc} and {@code
   * /sys} are); the default is none.
   *
   * @return the options, handed to {@link DriverSandbox#create}
   */
  protected Map<String, String> driverOptions() {
    return Map.of();
  }

  /** The current test's sandbox, made before each test and closed after it. */
  protected DriverSandbox sandbox;

  /**
   * The driver under test in the current test's sandbox, opened before each test; a test that
   * reopens it ({@link DriverSandbox#reopen()}) assigns the new one here.
   */
  protected GraphDriver driver;

  @BeforeEach
  void openSandbox() throws IOException {
    sandbox = DriverSandbox.create(driverName(), backing(), driverOptions());
    if (mountKind() == MountKind.KERNEL) {
      PlatformRequirements.require(
          sandbox.platform().kernelMounts().isPresent(),
          "kernel mounts (Linux, root, a file system that holds device nodes and trusted xattrs)");
    }
    driver = sandbox.driver();
  }

  @AfterEach
  void closeSandbox() throws IOException {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private Mount rw(String id) throws IOException {
    return driver.get(id, true);
  }

  private Mount ro(String id) throws IOException {
    return driver.get(id, false);
  }

  private void layer(String id, String parent, LayerTar tar) throws IOException {
    driver.create(id, parent);
    sandbox.layerOps().apply(id, tar.bytes());
  }

  private static List<Entry> sortedByPathThenKind(List<Entry> in) {
    List<Entry> out = new ArrayList<>(in);
    out.sort(
        (a, b) -> {
          int c = a.path().compareTo(b.path());
          return c != 0 ? c : a.kind().compareTo(b.kind());
        });
    return out;
  }

  private static Entry change(String path, Kind kind) {
    return new Entry(path, kind);
  }

  /**
   * Non-whiteout entries in order, whiteout entries (format-dependent position and time) as a set.
   */
  private static void assertSameLayer(List<LayerTar.Entry> expected, List<LayerTar.Entry> actual) {
    List<LayerTar.Entry> plainExpected = new ArrayList<>();
    List<LayerTar.Entry> plainActual = new ArrayList<>();
    Set<LayerTar.Entry> whExpected = new java.util.HashSet<>();
    Set<LayerTar.Entry> whActual = new java.util.HashSet<>();
    for (LayerTar.Entry e : expected) {
      if (e.isWhiteout()) {
        whExpected.add(e.name().endsWith(".wh..wh..opq") ? e : e.withoutMtime());
      } else {
        plainExpected.add(e);
      }
    }
    for (LayerTar.Entry e : actual) {
      if (e.isWhiteout()) {
        whActual.add(e.name().endsWith(".wh..wh..opq") ? e : e.withoutMtime());
      } else {
        plainActual.add(e);
      }
    }
    assertEquals(plainExpected, plainActual, "entries of the layer, in order");
    assertEquals(whExpected, whActual, "whiteouts and opaque markers of the layer");
  }

  private void assertNothingMounted(String... ids) throws IOException {
    for (String id : ids) {
      assertFalse(driver.isMounted(id), id + " is still mounted");
    }
    assertEquals(List.of(), sandbox.kernelMountsBelow(), "kernel mounts left below the data-root");
  }

  // ---- graphtest ------------------------------------------------------------------------------

  @Test
  void graphtestCreateEmpty() throws IOException {
    driver.create("empty", null);
    assertTrue(driver.exists("empty"));
    try (Mount m = rw("empty")) {
      Path root = m.root();
      assertEquals("dir", Nodes.type(root));
      assertEquals(0755, Nodes.mode(root));
      assertEquals(0, Nodes.uid(root));
      assertEquals(0, Nodes.gid(root));
      assertEquals(Set.of(), Nodes.names(root));
    }
    driver.remove("empty");
    assertFalse(driver.exists("empty"));
  }

  private void createBase(String id) throws IOException {
    driver.create(id, null);
    try (Mount m = rw(id)) {
      Path sub = m.root().resolve("a subdir");
      Nodes.mkdir(sub, 01705);
      Nodes.chown(sub, 1, 2);
      Nodes.write(m.root().resolve("a file"), "Some data", 04222);
    }
  }

  private void verifyBase(String id) throws IOException {
    try (Mount m = rw(id)) {
      Path sub = m.root().resolve("a subdir");
      assertEquals("dir", Nodes.type(sub));
      assertEquals(01705, Nodes.mode(sub));
      assertEquals(1, Nodes.uid(sub));
      assertEquals(2, Nodes.gid(sub));
      Path file = m.root().resolve("a file");
      assertEquals("file", Nodes.type(file));
      assertEquals(04222, Nodes.mode(file));
      assertEquals(0, Nodes.uid(file));
      assertEquals(0, Nodes.gid(file));
      assertEquals("Some data", Nodes.read(file));
      assertEquals(
          Set.of("a file", "a subdir"), Nodes.names(m.root()), "driver bookkeeping must not show");
    }
  }

  @Test
  void graphtestCreateBase() throws IOException {
    createBase("Base");
    verifyBase("Base");
    driver.remove("Base");
  }

  @Test
  void graphtestCreateSnap() throws IOException {
    createBase("Base");
    driver.create("Snap", "Base");
    verifyBase("Snap");
    driver.remove("Snap");
    driver.remove("Base");
  }

  /** graphtest runs it with 128 on overlay2; the chain here is 125 layers, Docker's image limit. */
  @Test
  void graphtestDeepLayerRead() throws IOException {
    int n = 124;
    driver.create("deep-base", null);
    try (Mount m = rw("deep-base")) {
      Nodes.write(m.root().resolve("testfile.txt"), "test content", 0644);
    }
    String last = "deep-base";
    for (int i = 1; i <= n; i++) {
      String id = "deep-" + i;
      driver.create(id, last);
      try (Mount m = rw(id)) {
        Path root = m.root();
        Nodes.write(root.resolve("top-id"), id, 0644);
        Path dir = root.resolve("layer-" + i);
        Nodes.mkdir(dir, 0755);
        Nodes.write(dir.resolve("layer-id"), id, 0644);
        Nodes.write(dir.resolve("parent-id"), last, 0644);
      }
      last = id;
    }
    assertEquals(n, driver.parents(last).size());
    try (Mount m = ro(last)) {
      Path root = m.root();
      assertEquals(last, Nodes.read(root.resolve("top-id")));
      String expected = last;
      for (int i = n; i >= 1; i--) {
        assertEquals(
            expected, Nodes.read(root.resolve("layer-" + i).resolve("layer-id")), "layer " + i);
        expected = Nodes.read(root.resolve("layer-" + i).resolve("parent-id"));
      }
      assertEquals("deep-base", expected);
      assertEquals("test content", Nodes.read(root.resolve("testfile.txt")));
    }
  }

  /** graphtest's addManyFiles: {@code directory-<i>/file-<j>}, 64 seeded bytes, mode 0755. */
  static void addManyFiles(Path root, int count, long seed) throws IOException {
    for (int i = 0; i < count; i += 100) {
      Path dir = root.resolve("directory-" + i);
      Files.createDirectories(dir);
      for (int j = 0; i + j < count && j < 100; j++) {
        Nodes.write(dir.resolve("file-" + j), Nodes.random(64, seed + i + j), 0755);
      }
    }
  }

  static void checkManyFiles(Path root, int count, long seed) throws IOException {
    for (int i = 0; i < count; i += 100) {
      for (int j = 0; i + j < count && j < 100; j++) {
        Path f = root.resolve("directory-" + i).resolve("file-" + j);
        assertArrayEquals(Nodes.random(64, seed + i + j), Files.readAllBytes(f), f.toString());
      }
    }
  }

  @Test
  void graphtestDiffApply() throws IOException {
    int fileCount = 10;
    driver.create("base", null);
    try (Mount m = rw("base")) {
      addManyFiles(m.root(), fileCount, 3);
      Nodes.write(m.root().resolve("file-remove.txt"), "This file should be removed", 0644);
      Files.createDirectories(m.root().resolve("var/lib"));
    }
    driver.create("upper", "base");
    try (Mount m = rw("upper")) {
      addManyFiles(m.root(), fileCount, 6);
      Nodes.deleteTree(m.root().resolve("file-remove.txt"));
      Nodes.deleteTree(m.root().resolve("var/lib"));
    }
    long diffSize = driver.diffSize("upper");
    driver.create("diff", "base");
    try (Mount m = ro("diff")) {
      checkManyFiles(m.root(), fileCount, 3);
      assertTrue(Nodes.exists(m.root().resolve("file-remove.txt")));
    }
    byte[] tar = sandbox.layerOps().diff("upper");
    long applied = sandbox.layerOps().apply("diff", tar);
    assertEquals(diffSize, applied, "size of the applied diff");
    assertEquals(fileCount * 64L, applied);
    try (Mount m = ro("diff")) {
      checkManyFiles(m.root(), fileCount, 6);
      assertFalse(Nodes.exists(m.root().resolve("file-remove.txt")));
      assertFalse(Nodes.exists(m.root().resolve("var/lib")));
      assertTrue(Nodes.exists(m.root().resolve("var")));
    }
  }

  @Test
  void graphtestChanges() throws IOException {
    int count = 20;
    driver.create("base", null);
    try (Mount m = rw("base")) {
      addManyFiles(m.root(), count, 3);
    }
    driver.create("upper", "base");
    List<Entry> expected = new ArrayList<>();
    try (Mount m = rw("upper")) {
      Path dir = m.root().resolve("directory-0");
      expected.add(change("/directory-0", Kind.MODIFY));
      for (int j = 0; j < count; j++) {
        switch (j % 3) {
          case 0:
            Nodes.write(dir.resolve("file-" + j), Nodes.random(64, 6 + j), 0755);
            expected.add(change("/directory-0/file-" + j, Kind.MODIFY));
            break;
          case 1:
            Nodes.write(dir.resolve("file-6-" + j), Nodes.random(64, 6 + j), 0755);
            expected.add(change("/directory-0/file-6-" + j, Kind.ADD));
            break;
          default:
            Files.delete(dir.resolve("file-" + j));
            expected.add(change("/directory-0/file-" + j, Kind.DELETE));
        }
      }
    }
    List<Entry> actual = sandbox.layerOps().changes("upper");
    assertEquals(21, actual.size(), actual.toString());
    assertEquals(sortedByPathThenKind(expected), sortedByPathThenKind(actual));
  }

  // ---- create / exists / remove ---------------------------------------------------------------

  @Test
  void createExistsListRemove() throws IOException {
    assertFalse(driver.exists("a"));
    driver.create("a", null);
    driver.create("b", "a");
    assertTrue(driver.exists("a"));
    assertTrue(driver.exists("b"));
    assertEquals(Set.of("a", "b"), new TreeSet<>(driver.list()));
    driver.remove("b");
    assertFalse(driver.exists("b"));
    assertEquals(List.of("a"), driver.list());
    assertThrows(NotFoundException.class, () -> driver.get("b", false));
    assertThrows(NotFoundException.class, () -> driver.diff("b"));
    driver.remove("a");
    assertEquals(List.of(), driver.list());
  }

  @Test
  void removeOfAnAbsentIdIsFine() throws IOException {
    driver.remove("never-created");
    assertFalse(driver.exists("never-created"));
  }

  @Test
  void removedIdCanBeCreatedAgainEmpty() throws IOException {
    layer("again", null, LayerTar.create().file("old", "old content", 0644));
    driver.remove("again");
    driver.create("again", null);
    try (Mount m = ro("again")) {
      assertEquals(Set.of(), Nodes.names(m.root()));
    }
    assertEquals(0, driver.diffSize("again"));
  }

  @Test
  void createOfAnExistingIdFailsAndKeepsTheLayer() throws IOException {
    layer("dup", null, LayerTar.create().file("keep", "kept", 0644));
    assertThrows(IOException.class, () -> driver.create("dup", null));
    try (Mount m = ro("dup")) {
      assertEquals("kept", Nodes.read(m.root().resolve("keep")));
    }
  }

  @Test
  void invalidIdsAreRefused() throws IOException {
    for (String bad :
        new String[] {"", ".", "..", "../escape", "a/b", "with space", "-removing-x/.."}) {
      assertThrows(
          IllegalArgumentException.class, () -> driver.create(bad, null), "id \"" + bad + "\"");
      assertFalse(driver.exists(bad));
    }
    assertEquals(List.of(), driver.list());
  }

  /**
   * Docker's aufs Create makes {@code mnt/<id>}, {@code diff/<id>} and an empty {@code layers/<id>}
   * before it looks at the parent, so a missing parent fails with ENOENT and leaves {@code
   * Exists(id)} true. The parent must be checked first and nothing left behind.
   */
  @Test
  void createOnAMissingParentFailsAndLeavesNothing() throws IOException {
    assertThrows(NotFoundException.class, () -> driver.create("orphan", "missing-parent"));
    assertFalse(driver.exists("orphan"));
    assertEquals(List.of(), driver.list());
    driver.create("orphan", null);
    assertEquals(List.of(), driver.parents("orphan"));
  }

  /**
   * Docker's Get of an unknown id returns a path (aufs: {@code diff/<id>}); it must fail instead.
   */
  @Test
  void getOfAnUnknownIdFails() {
    assertThrows(NotFoundException.class, () -> driver.get("unknown", false));
    assertThrows(NotFoundException.class, () -> driver.get("unknown", true));
  }

  // ---- chains ---------------------------------------------------------------------------------

  @Test
  void parentsNearestFirst() throws IOException {
    driver.create("p1", null);
    driver.create("p2", "p1");
    driver.create("p3", "p2");
    assertEquals(List.of(), driver.parents("p1"));
    assertEquals(List.of("p1"), driver.parents("p2"));
    assertEquals(List.of("p2", "p1"), driver.parents("p3"));
  }

  /** A container's layers: {@code <mount-id>-init} on the image's top, {@code <mount-id>} on it. */
  @Test
  void initSuffixIds() throws IOException {
    String mountId = "9f2c4e8a1b3d5f7091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081";
    layer("img", null, LayerTar.create().file("from-image", "i", 0644));
    layer(mountId + "-init", "img", LayerTar.create().file(".dockerenv", "", 0755));
    driver.create(mountId, mountId + "-init");
    assertEquals(List.of(mountId + "-init", "img"), driver.parents(mountId));
    try (Mount m = rw(mountId)) {
      Nodes.write(m.root().resolve("from-container"), "c", 0644);
      assertEquals(Set.of(".dockerenv", "from-container", "from-image"), Nodes.names(m.root()));
    }
    assertEquals(List.of(change("/from-container", Kind.ADD)), sandbox.layerOps().changes(mountId));
  }

  /** The deepest chain the driver allows works; one more layer is refused and leaves nothing. */
  @Test
  void longestChainMountsAndOneMoreIsRefused() throws IOException {
    int layers = maxParents() + 1;
    assertTrue(layers >= 125, "a driver must carry Docker's 125-layer images");
    String last = null;
    for (int i = 0; i < layers; i++) {
      String id = "chain-" + i;
      layer(id, last, LayerTar.create().file("f" + i, "layer " + i, 0644).file("top", id, 0644));
      last = id;
    }
    assertEquals(maxParents(), driver.parents(last).size());
    try (Mount m = ro(last)) {
      assertEquals(last, Nodes.read(m.root().resolve("top")));
      for (int i = 0; i < layers; i++) {
        assertEquals("layer " + i, Nodes.read(m.root().resolve("f" + i)));
      }
      assertEquals(layers + 1, Nodes.names(m.root()).size());
    }
    String top = last;
    assertThrows(LayerStoreException.class, () -> driver.create("one-too-many", top));
    assertFalse(driver.exists("one-too-many"));
    assertFalse(driver.list().contains("one-too-many"));
  }

  // ---- apply and produce back -----------------------------------------------------------------

  private static final Instant T1 = Instant.ofEpochSecond(1_500_000_001L);
  private static final Instant T2 = Instant.ofEpochSecond(1_400_000_002L);

  /** One of everything a layer holds besides whiteouts, in the order a diff walks them. */
  static LayerTar everything() {
    Map<String, byte[]> note = Map.of("user.kit.note", "hello".getBytes(StandardCharsets.UTF_8));
    return LayerTar.create()
        .dir("bin", 0755)
        .file(
            "bin/a-hardlinked",
            "shared bytes".getBytes(StandardCharsets.UTF_8),
            0755,
            0,
            0,
            LayerTar.T0,
            Map.of())
        .symlink("bin/abs", "/etc/target")
        .hardlink("bin/b-hardlink", "bin/a-hardlinked", 0755)
        .symlink("bin/dangling", "/nonexistent/nothing", 1234, 5678, T1)
        .symlink("bin/rel", "../etc/target")
        .file("bin/su", "setuid".getBytes(StandardCharsets.UTF_8), 04755, 0, 0, T1, Map.of())
        .file("bin/wall", "setgid".getBytes(StandardCharsets.UTF_8), 02755, 0, 5, T2, Map.of())
        .dir("data", 0750, 1234, 5678, T2)
        .file("data/owned", "owned".getBytes(StandardCharsets.UTF_8), 0640, 1234, 5678, T1, note)
        .add(
            io.layerstore.archive.TarHeader.builder(
                    "data/tagged/", io.layerstore.archive.TarHeader.DIRECTORY)
                .mode(040700)
                .mtime(T1)
                .xattrs(new java.util.TreeMap<>(note))
                .build(),
            null)
        .file("data/tagged/empty", new byte[0], 0600, 0, 0, T2, Map.of())
        .dir("dev", 0755)
        .charDevice("dev/null", 0666, 1, 3)
        .fifo("dev/pipe", 0620)
        .dir("etc", 0755)
        .file("etc/target", "target", 0644)
        .dir("tmp", 01777);
  }

  @Test
  void appliedLayerComesBackEntryForEntry() throws IOException {
    LayerTar tar = everything();
    layer("all", null, tar);
    byte[] back = sandbox.layerOps().diff("all");
    assertEquals(LayerTar.entries(tar.bytes()), LayerTar.entries(back));
    assertArrayEquals(
        tar.bytes(),
        back,
        "the diff of a layer without whiteouts is the applied tar, byte for byte");
  }

  @Test
  void appliedWhiteoutsAndOpaqueDirsComeBack() throws IOException {
    layer(
        "low",
        null,
        LayerTar.create()
            .dir("a", 0755)
            .file("a/x", "x", 0644)
            .dir("d", 0755)
            .file("d/old", "o", 0644));
    LayerTar tar =
        LayerTar.create()
            .dir("a", 0755)
            .whiteout("a/x")
            .file("a/y", "y", 0644)
            .dir("d", 0755)
            .opaque("d", 0755)
            .file("d/new", "n", 0644)
            .whiteout("gone");
    layer("wh", "low", tar);
    assertSameLayer(LayerTar.entries(tar.bytes()), LayerTar.entries(sandbox.layerOps().diff("wh")));
  }

  @Test
  void everythingShowsThroughTheMount() throws IOException {
    layer("all", null, everything());
    driver.create("child", "all");
    for (String id : new String[] {"all", "child"}) {
      try (Mount m = ro(id)) {
        Path r = m.root();
        assertEquals(Set.of("bin", "data", "dev", "etc", "tmp"), Nodes.names(r));
        // hardlinks inside a layer
        assertEquals("shared bytes", Nodes.read(r.resolve("bin/a-hardlinked")));
        assertEquals("shared bytes", Nodes.read(r.resolve("bin/b-hardlink")));
        assertEquals(
            2, ((Number) Nodes.attrs(r.resolve("bin/b-hardlink")).get("nlink")).intValue());
        // symlinks: absolute, relative, dangling (never followed here)
        assertEquals("/etc/target", Files.readSymbolicLink(r.resolve("bin/abs")).toString());
        assertEquals("../etc/target", Files.readSymbolicLink(r.resolve("bin/rel")).toString());
        assertEquals(
            "/nonexistent/nothing", Files.readSymbolicLink(r.resolve("bin/dangling")).toString());
        assertEquals("symlink", Nodes.type(r.resolve("bin/dangling")));
        assertEquals(1234, Nodes.uid(r.resolve("bin/dangling")));
        assertEquals(T1.getEpochSecond(), Nodes.mtimeSeconds(r.resolve("bin/dangling")));
        assertEquals("target", Nodes.read(r.resolve("bin").resolve("../etc/target")));
        // modes, owners, mtimes
        assertEquals(04755, Nodes.mode(r.resolve("bin/su")));
        assertEquals(02755, Nodes.mode(r.resolve("bin/wall")));
        assertEquals(5, Nodes.gid(r.resolve("bin/wall")));
        assertEquals(T2.getEpochSecond(), Nodes.mtimeSeconds(r.resolve("bin/wall")));
        assertEquals(01777, Nodes.mode(r.resolve("tmp")));
        assertEquals(0750, Nodes.mode(r.resolve("data")));
        assertEquals(1234, Nodes.uid(r.resolve("data")));
        assertEquals(5678, Nodes.gid(r.resolve("data")));
        assertEquals(T2.getEpochSecond(), Nodes.mtimeSeconds(r.resolve("data")));
        assertEquals(1234, Nodes.uid(r.resolve("data/owned")));
        assertEquals(T1.getEpochSecond(), Nodes.mtimeSeconds(r.resolve("data/owned")));
        // user xattrs on a file and a directory
        assertArrayEquals(
            "hello".getBytes(StandardCharsets.UTF_8),
            Nodes.userXattr(r.resolve("data/owned"), "kit.note"));
        assertArrayEquals(
            "hello".getBytes(StandardCharsets.UTF_8),
            Nodes.userXattr(r.resolve("data/tagged"), "kit.note"));
        assertNull(Nodes.userXattr(r.resolve("etc/target"), "kit.note"));
        // fifos and device nodes
        assertEquals("fifo", Nodes.type(r.resolve("dev/pipe")));
        assertEquals(0620, Nodes.mode(r.resolve("dev/pipe")));
        assertEquals("char", Nodes.type(r.resolve("dev/null")));
        assertEquals("1:3", Nodes.device(r.resolve("dev/null")));
        assertEquals(0666, Nodes.mode(r.resolve("dev/null")));
      }
    }
  }

  @Test
  void whiteoutsAndOpaqueDirsAcrossLayers() throws IOException {
    layer(
        "l1",
        null,
        LayerTar.create()
            .dir("a", 0755)
            .file("a/x", "x1", 0644)
            .file("a/y", "y1", 0644)
            .dir("a/sub", 0755)
            .file("a/sub/deep", "deep", 0644)
            .dir("d", 0755)
            .file("d/w", "w", 0644)
            .file("d/z", "z", 0644)
            .file("keep", "keep", 0644));
    layer(
        "l2",
        "l1",
        LayerTar.create()
            .dir("a", 0755)
            .whiteout("a/sub")
            .whiteout("a/x")
            .dir("d", 0755)
            .opaque("d", 0755)
            .file("d/new", "new", 0644));
    layer("l3", "l2", LayerTar.create().dir("a", 0755).file("a/x", "x3", 0644));
    try (Mount m = ro("l2")) {
      assertEquals(Set.of("y"), Nodes.names(m.root().resolve("a")));
      assertEquals(Set.of("new"), Nodes.names(m.root().resolve("d")));
      assertFalse(Nodes.exists(m.root().resolve("a/x")));
      assertFalse(Nodes.exists(m.root().resolve("d/z")));
      assertEquals(Set.of("a", "d", "keep"), Nodes.names(m.root()));
    }
    try (Mount m = ro("l3")) {
      assertEquals(Set.of("x", "y"), Nodes.names(m.root().resolve("a")));
      assertEquals("x3", Nodes.read(m.root().resolve("a/x")));
      assertEquals(Set.of("new"), Nodes.names(m.root().resolve("d")));
    }
    // Docker's aufs Changes reports the opaque d as "D /d/.wh..opq" and nothing for d's hidden
    // entries (overlay2 goes through its naive diff); the right answer is what the mount shows
    // gone.
    assertEquals(
        List.of(
            change("/a", Kind.MODIFY),
            change("/a/sub", Kind.DELETE),
            change("/a/x", Kind.DELETE),
            change("/d", Kind.MODIFY),
            change("/d/new", Kind.ADD),
            change("/d/w", Kind.DELETE),
            change("/d/z", Kind.DELETE)),
        sandbox.layerOps().changes("l2"));
    assertEquals(
        List.of(change("/a", Kind.MODIFY), change("/a/x", Kind.ADD)),
        sandbox.layerOps().changes("l3"));
  }

  @Test
  void writesThroughTheMountBecomeWhiteoutsAndOpaqueDirs() throws IOException {
    layer(
        "base",
        null,
        LayerTar.create()
            .dir("a", 0755)
            .file("a/x", "x", 0644)
            .dir("a/sub", 0755)
            .file("a/sub/deep", "deep", 0644)
            .dir("d", 0755)
            .file("d/w", "w", 0644)
            .file("d/z", "z", 0644));
    driver.create("top", "base");
    try (Mount m = rw("top")) {
      Path r = m.root();
      Files.delete(r.resolve("a/x"));
      Nodes.deleteTree(r.resolve("a/sub"));
      Nodes.deleteTree(r.resolve("d"));
      Nodes.mkdir(r.resolve("d"), 0755);
      Nodes.write(r.resolve("d/new"), "new", 0644);
      assertEquals(Set.of(), Nodes.names(r.resolve("a")));
      assertEquals(Set.of("new"), Nodes.names(r.resolve("d")));
    }
    byte[] tar = sandbox.layerOps().diff("top");
    assertEquals(
        new TreeSet<>(List.of("a/", "a/.wh.sub", "a/.wh.x", "d/", "d/.wh..wh..opq", "d/new")),
        new TreeSet<>(LayerTar.names(tar)),
        "the layer's diff, without any driver bookkeeping");
    driver.create("copy", "base");
    sandbox.layerOps().apply("copy", tar);
    try (Mount top = ro("top");
        Mount copy = ro("copy")) {
      assertEquals(RootfsManifest.of(top.root(), true), RootfsManifest.of(copy.root(), true));
    }
  }

  @Test
  void directoryReplacedByFileAndBack() throws IOException {
    layer(
        "dirs",
        null,
        LayerTar.create().dir("p", 0755).file("p/q", "q", 0644).file("p/r", "r", 0644));
    // A file over a lower directory needs no whiteout (Docker's diff has none; the unpacker refuses
    // both).
    layer("file", "dirs", LayerTar.create().file("p", "now a file", 0600));
    layer("again", "file", LayerTar.create().dir("p", 0700).file("p/s", "s", 0644));
    try (Mount m = ro("file")) {
      assertEquals("file", Nodes.type(m.root().resolve("p")));
      assertEquals("now a file", Nodes.read(m.root().resolve("p")));
    }
    try (Mount m = ro("again")) {
      assertEquals("dir", Nodes.type(m.root().resolve("p")));
      assertEquals(0700, Nodes.mode(m.root().resolve("p")));
      assertEquals(
          Set.of("s"),
          Nodes.names(m.root().resolve("p")),
          "the old directory's entries stay hidden");
    }
    // the same through writes
    driver.create("w1", "dirs");
    try (Mount m = rw("w1")) {
      Nodes.deleteTree(m.root().resolve("p"));
      Nodes.write(m.root().resolve("p"), "file by write", 0644);
    }
    driver.create("w2", "w1");
    try (Mount m = rw("w2")) {
      Files.delete(m.root().resolve("p"));
      Nodes.mkdir(m.root().resolve("p"), 0755);
      Nodes.write(m.root().resolve("p/s"), "s", 0644);
    }
    try (Mount m = ro("w1")) {
      assertEquals("file by write", Nodes.read(m.root().resolve("p")));
    }
    try (Mount m = ro("w2")) {
      assertEquals(Set.of("s"), Nodes.names(m.root().resolve("p")));
    }
    assertEquals(
        List.of("p"),
        LayerTar.names(sandbox.layerOps().diff("w1")).stream()
            .filter(n -> !n.startsWith(".wh."))
            .toList());
    List<String> w2 = LayerTar.names(sandbox.layerOps().diff("w2"));
    assertEquals(List.of("p/", "p/.wh..wh..opq", "p/s"), w2);
    assertEquals(
        List.of(change("/p", Kind.MODIFY), change("/p/s", Kind.ADD)),
        sandbox.layerOps().changes("w2"));
  }

  @Test
  void hardlinkToALowerLayersFile() throws IOException {
    layer("base", null, LayerTar.create().dir("bin", 0755).file("bin/tool", "tool bytes", 0755));
    driver.create("linked", "base");
    try (Mount m = rw("linked")) {
      Files.createLink(m.root().resolve("bin/tool-link"), m.root().resolve("bin/tool"));
      assertEquals("tool bytes", Nodes.read(m.root().resolve("bin/tool-link")));
      assertEquals(2, ((Number) Nodes.attrs(m.root().resolve("bin/tool")).get("nlink")).intValue());
    }
    List<LayerTar.Entry> entries = LayerTar.entries(sandbox.layerOps().diff("linked"));
    assertEquals(
        List.of("bin/", "bin/tool", "bin/tool-link"),
        entries.stream().map(LayerTar.Entry::name).sorted().toList());
    LayerTar.Entry first = entries.stream().filter(e -> e.type() == '0').findFirst().orElseThrow();
    LayerTar.Entry link = entries.stream().filter(e -> e.type() == '1').findFirst().orElseThrow();
    assertEquals(first.name(), link.linkName());
    driver.create("copy", "base");
    sandbox.layerOps().apply("copy", sandbox.layerOps().diff("linked"));
    try (Mount m = ro("copy")) {
      assertEquals("tool bytes", Nodes.read(m.root().resolve("bin/tool-link")));
      assertEquals(
          2, ((Number) Nodes.attrs(m.root().resolve("bin/tool-link")).get("nlink")).intValue());
    }
  }

  @Test
  void metadataWrittenThroughTheMountComesBackInTheDiff() throws IOException {
    layer("base", null, LayerTar.create().dir("etc", 0755).file("etc/conf", "conf", 0644));
    driver.create("meta", "base");
    try (Mount m = rw("meta")) {
      Path r = m.root();
      Nodes.chown(
          r.resolve("etc/conf"),
          1234,
          5678); // before chmod: chown clears setuid, as the kernel does
      Nodes.chmod(r.resolve("etc/conf"), 04750);
      Nodes.setUserXattr(r.resolve("etc/conf"), "kit.written", new byte[] {1, 2, 3});
      Nodes.setMtime(r.resolve("etc/conf"), T1.getEpochSecond());
      Files.createSymbolicLink(r.resolve("etc/abs"), r.getFileSystem().getPath("/etc/conf"));
      Files.createSymbolicLink(r.resolve("etc/rel"), r.getFileSystem().getPath("conf"));
      Files.createSymbolicLink(r.resolve("etc/dangling"), r.getFileSystem().getPath("/no/such"));
      Nodes.mkdir(r.resolve("sticky"), 01777);
    }
    Map<String, LayerTar.Entry> byName = new java.util.HashMap<>();
    for (LayerTar.Entry e : LayerTar.entries(sandbox.layerOps().diff("meta"))) {
      byName.put(e.name(), e);
    }
    LayerTar.Entry conf = byName.get("etc/conf");
    assertNotNull(conf, byName.keySet().toString());
    assertEquals(04750, conf.mode());
    assertEquals(1234, conf.uid());
    assertEquals(5678, conf.gid());
    assertEquals(T1.getEpochSecond(), conf.mtime());
    assertEquals(
        "user.kit.written=" + HexFormat.of().formatHex(new byte[] {1, 2, 3}), conf.xattrs());
    assertEquals(LayerTar.sha256("conf".getBytes(StandardCharsets.UTF_8)), conf.sha256());
    assertEquals("/etc/conf", byName.get("etc/abs").linkName());
    assertEquals("conf", byName.get("etc/rel").linkName());
    assertEquals("/no/such", byName.get("etc/dangling").linkName());
    assertEquals(01777, byName.get("sticky/").mode());
    assertEquals(
        Set.of("etc/", "etc/abs", "etc/conf", "etc/dangling", "etc/rel", "sticky/"),
        byName.keySet());
  }

  @Test
  void readOnlyMountRefusesWrites() throws IOException {
    layer("base", null, LayerTar.create().file("f", "f", 0644));
    driver.create("child", "base");
    byte[] before = sandbox.layerOps().diff("child");
    for (String id : new String[] {"base", "child"}) {
      try (Mount m = ro(id)) {
        assertFalse(m.isWritable());
        Path r = m.root();
        assertThrows(Exception.class, () -> Files.writeString(r.resolve("new"), "x"));
        assertThrows(Exception.class, () -> Files.delete(r.resolve("f")));
        assertFalse(Nodes.exists(r.resolve("new")));
      }
    }
    assertArrayEquals(before, sandbox.layerOps().diff("child"));
    assertEquals(List.of("f"), LayerTar.names(sandbox.layerOps().diff("base")));
  }

  @Test
  void writableMountChangesOnlyItsOwnLayer() throws IOException {
    layer("base", null, LayerTar.create().file("f", "original", 0644));
    byte[] baseBefore = sandbox.layerOps().diff("base");
    driver.create("child", "base");
    try (Mount m = rw("child")) {
      assertTrue(m.isWritable());
      Nodes.write(m.root().resolve("f"), "changed", 0644);
      Nodes.write(m.root().resolve("g"), "new", 0644);
    }
    assertArrayEquals(baseBefore, sandbox.layerOps().diff("base"));
    try (Mount m = ro("base")) {
      assertEquals("original", Nodes.read(m.root().resolve("f")));
      assertFalse(Nodes.exists(m.root().resolve("g")));
    }
    try (Mount m = ro("child")) {
      assertEquals("changed", Nodes.read(m.root().resolve("f")));
    }
  }

  // ---- changes and sizes ----------------------------------------------------------------------

  @Test
  void changesOfAFreshChildAreEmpty() throws IOException {
    layer("base", null, LayerTar.create().dir("etc", 0755).file("etc/a", "a", 0644));
    driver.create("fresh", "base");
    assertEquals(List.of(), sandbox.layerOps().changes("fresh"));
    assertEquals(0, driver.diffSize("fresh"));
    assertEquals(
        List.of(change("/etc", Kind.ADD), change("/etc/a", Kind.ADD)),
        sandbox.layerOps().changes("base"));
  }

  /** aufs_test: only the file written through the mount shows; driver meta never does. */
  @Test
  void changesShowOnlyWhatWasWritten() throws IOException {
    driver.create("c1", null);
    driver.create("c2", "c1");
    driver.create("c3", "c2");
    try (Mount m = rw("c2")) {
      Nodes.write(m.root().resolve("test.txt"), "test", 0644);
    }
    try (Mount m = rw("c3")) {
      Nodes.write(m.root().resolve("test2.txt"), "test2", 0644);
    }
    assertEquals(List.of(change("/test.txt", Kind.ADD)), sandbox.layerOps().changes("c2"));
    assertEquals(List.of(change("/test2.txt", Kind.ADD)), sandbox.layerOps().changes("c3"));
  }

  @Test
  void diffSizeCountsDockersWay() throws IOException {
    layer(
        "sized",
        null,
        LayerTar.create()
            .file("data", new byte[100], 0644, 0, 0, LayerTar.T0, Map.of())
            .hardlink("data-link", "data", 0644)
            .file("empty", "", 0644)
            .symlink("link", "abc")
            .fifo("pipe", 0644)
            .dir("dir", 0755)
            .file("dir/more", new byte[1024], 0644, 0, 0, LayerTar.T0, Map.of()));
    assertEquals(100 + 3 + 1024, driver.diffSize("sized"));
    driver.create("child", "sized");
    assertEquals(0, driver.diffSize("child"));
    try (Mount m = rw("child")) {
      Nodes.write(m.root().resolve("f"), new byte[1024], 0644);
    }
    assertEquals(1024, driver.diffSize("child"));
  }

  // ---- get / put ------------------------------------------------------------------------------

  @Test
  void getPutReferenceCounting() throws IOException {
    layer("base", null, LayerTar.create().file("f", "base", 0644));
    driver.create("child", "base");
    for (boolean writable : new boolean[] {false, true}) {
      Mount m1 = driver.get("child", writable);
      Mount m2 = driver.get("child", writable);
      assertEquals(m1.root(), m2.root(), "a second get returns the same root");
      assertEquals(mountKind() == MountKind.KERNEL, m1.isKernelMount());
      assertTrue(driver.isMounted("child"));
      m1.close();
      assertTrue(driver.isMounted("child"), "the mount stays until the last put");
      assertEquals("base", Nodes.read(m2.root().resolve("f")));
      m1.close(); // a second close of the same handle gives nothing back
      assertTrue(driver.isMounted("child"));
      assertEquals("base", Nodes.read(m2.root().resolve("f")));
      m2.close();
      assertNothingMounted("child");
    }
  }

  @Test
  void baseLayerGetsAreCountedToo() throws IOException {
    layer("base", null, LayerTar.create().file("f", "base", 0644));
    for (boolean writable : new boolean[] {false, true}) {
      try (Mount m1 = driver.get("base", writable);
          Mount m2 = driver.get("base", writable)) {
        assertEquals(m1.root(), m2.root());
        assertTrue(driver.isMounted("base"));
        assertThrows(ConflictException.class, () -> driver.remove("base"));
        m1.close();
        assertTrue(driver.isMounted("base"));
      }
      assertNothingMounted("base");
    }
  }

  /** A layer mounted one way cannot be mounted the other way at the same time. */
  @Test
  void getWithTheOtherWritabilityIsRefusedWhileMounted() throws IOException {
    layer("base", null, LayerTar.create().file("f", "base", 0644));
    driver.create("child", "base");
    for (String id : new String[] {"base", "child"}) {
      try (Mount m = ro(id)) {
        assertThrows(ConflictException.class, () -> driver.get(id, true));
        assertEquals("base", Nodes.read(m.root().resolve("f")));
      }
      try (Mount m = rw(id)) {
        assertThrows(ConflictException.class, () -> driver.get(id, false));
        assertEquals("base", Nodes.read(m.root().resolve("f")));
      }
      assertNothingMounted(id);
    }
  }

  /** Docker's aufs Remove unmounts the layer under whoever holds it; here the holder is safe. */
  @Test
  void removeWhileMountedIsRefused() throws IOException {
    layer("base", null, LayerTar.create().file("f", "base", 0644));
    driver.create("child", "base");
    try (Mount m = ro("child")) {
      assertThrows(ConflictException.class, () -> driver.remove("child"));
      assertTrue(driver.exists("child"));
      assertEquals("base", Nodes.read(m.root().resolve("f")));
    }
    driver.remove("child");
    assertFalse(driver.exists("child"));
  }

  @Test
  void unmountAllDropsEveryReference() throws IOException {
    layer("base", null, LayerTar.create().file("f", "base", 0644));
    driver.create("child", "base");
    Mount m1 = ro("child");
    Mount m2 = ro("child");
    driver.unmountAll("child");
    assertNothingMounted("child");
    try (Mount m = ro("child")) {
      m1.close(); // handles dropped by unmountAll give back nothing taken since
      m2.close();
      assertTrue(driver.isMounted("child"));
      assertEquals("base", Nodes.read(m.root().resolve("f")));
    }
    assertNothingMounted("child");
  }

  @Test
  void manyThreadsGetAndPut() throws Exception {
    layer("base", null, LayerTar.create().file("shared", "base", 0644));
    int ids = 4;
    for (int k = 0; k < ids; k++) {
      layer("c" + k, "base", LayerTar.create().file("who", "c" + k, 0644));
    }
    int threads = 8;
    int rounds = 25;
    CyclicBarrier together = new CyclicBarrier(threads);
    List<Path> roots = Collections.synchronizedList(new ArrayList<>());
    ExecutorService ex = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        fs.add(
            ex.submit(
                () -> {
                  try (Mount m = ro("c0")) {
                    together.await(60, TimeUnit.SECONDS);
                    roots.add(m.root());
                    assertEquals("c0", Nodes.read(m.root().resolve("who")));
                    together.await(60, TimeUnit.SECONDS);
                  }
                  java.util.Random r = new java.util.Random(seed);
                  for (int i = 0; i < rounds; i++) {
                    String id = seed % 2 == 0 ? "c0" : "c" + r.nextInt(ids);
                    try (Mount m = ro(id)) {
                      assertEquals(id, Nodes.read(m.root().resolve("who")));
                      assertEquals("base", Nodes.read(m.root().resolve("shared")));
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      ex.shutdownNow();
    }
    assertEquals(threads, roots.size());
    assertEquals(
        1, new java.util.HashSet<>(roots).size(), "every thread saw the same root: " + roots);
    assertNothingMounted("base", "c0", "c1", "c2", "c3");
  }

  @Test
  void closeLeavesNothingMounted() throws IOException {
    layer("base", null, LayerTar.create().file("f", "base", 0644));
    driver.create("c1", "base");
    driver.create("c2", "base");
    Mount a = ro("c1");
    Mount b = rw("c2");
    Mount c = ro("base");
    GraphDriver fresh = sandbox.reopen();
    GraphDriver old = driver;
    driver = fresh;
    assertNotNull(old);
    assertEquals(List.of(), sandbox.kernelMountsBelow());
    for (String id : new String[] {"base", "c1", "c2"}) {
      assertFalse(fresh.isMounted(id), id);
    }
    if (!a.isKernelMount()) {
      assertThrows(ClosedFileSystemException.class, () -> Nodes.names(a.root()));
    }
    // Handles of the closed driver give nothing back that the new instance holds.
    try (Mount again = fresh.get("c1", false)) {
      a.close();
      b.close();
      c.close();
      assertTrue(fresh.isMounted("c1"));
      assertEquals("base", Nodes.read(again.root().resolve("f")));
    }
    assertNothingMounted("base", "c1", "c2");
  }

  @Test
  void mountsSurviveADriverRestartOnlyWhenLeftMounted() throws IOException {
    layer("base", null, LayerTar.create().file("f", "base", 0644));
    driver.create("child", "base");
    Mount m = ro("child");
    if (!m.isKernelMount() && !leavesCopies()) {
      assertThrows(
          LayerStoreException.class,
          m::leaveMounted,
          "an in-process mount cannot outlive the process");
      m.close();
      return;
    }
    if (!m.isKernelMount()) {
      m.leaveMounted();
      Path copy = m.root();
      assertEquals("base", Files.readString(copy.resolve("f")), "the copy shows the merged tree");
      GraphDriver fresh = sandbox.reopen();
      driver = fresh;
      assertTrue(fresh.isMounted("child"), "the copy counts as mounted for another process");
      assertThrows(ConflictException.class, () -> fresh.remove("child"));
      fresh.unmountAll("child");
      assertFalse(fresh.isMounted("child"));
      assertFalse(Files.exists(copy.resolve("f")), "unmounting removes the copy");
      return;
    }
    m.leaveMounted();
    GraphDriver fresh = sandbox.reopen();
    driver = fresh;
    assertTrue(fresh.isMounted("child"), "left mounted for another process");
    try (Mount again = fresh.get("child", false)) {
      assertEquals(m.root(), again.root());
    }
    assertTrue(fresh.isMounted("child"), "the reference left behind still holds it");
    fresh.unmountAll("child");
    assertNothingMounted("child");
  }

  @Test
  void statusNamesTheBackingFilesystem() throws IOException {
    // docker info's storage facts: every driver names its backing file system; a driver that
    // shows its directory (aufs's Root Dir) shows its home
    Map<String, String> status = driver.status();
    assertTrue(status.containsKey("Backing Filesystem"), status.toString());
    if (status.containsKey("Root Dir")) {
      assertEquals(driver.home().toString(), status.get("Root Dir"));
    }
    assertEquals(sandbox.dataRoot().resolve(driverName()), driver.home());
    assertEquals(driverName(), driver.name());
  }

  /** Something every test could use, checked once: the kit's own temp root is really fresh. */
  @Test
  void sandboxStartsEmpty() throws IOException {
    assertEquals(List.of(), driver.list());
    assertEquals(List.of(), sandbox.kernelMountsBelow());
    if (backing() == Backing.JIMFS) {
      assertFalse(sandbox.platform().isNative());
    } else if (mountKind() == MountKind.KERNEL && !sandbox.platform().isNative()) {
      fail("kernel mounts expected on a non-native platform");
    }
  }
}

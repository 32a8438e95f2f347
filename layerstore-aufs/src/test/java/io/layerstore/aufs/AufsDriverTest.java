package io.layerstore.aufs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.spi.BranchIntrospection.Branch;
import io.layerstore.spi.BranchIntrospection.MountBranches;
import io.layerstore.spi.GraphDriver;
import io.layerstore.testkit.Backing;
import io.layerstore.testkit.DriverSandbox;
import io.layerstore.testkit.LayerTar;
import io.layerstore.testkit.Nodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What is particular to aufs, on disk and on jimfs: Docker's files and modes under {@code aufs/},
 * the {@code layers/} format both ways, cleanup of interrupted work, the bookkeeping aufs writes
 * into a writable branch, whiteouts kept as {@code .wh.} files, and the synthesized branch list of
 * an in-process mount.
 */
class AufsDriverTest {

  private DriverSandbox sandbox;
  private GraphDriver driver;
  private Path home;

  private void open(Backing backing) throws IOException {
    sandbox = DriverSandbox.create("aufs", backing, Map.of());
    driver = sandbox.driver();
    home = driver.home();
  }

  @AfterEach
  void close() throws IOException {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void layoutIsDockers(Backing backing) throws IOException {
    open(backing);
    assertEquals(sandbox.dataRoot().resolve("aufs"), home);
    for (String d : new String[] {"", "diff", "mnt", "layers"}) {
      assertEquals(0710, Nodes.mode(home.resolve(d)), "aufs/" + d);
    }
    driver.create("1", null);
    driver.create("2", "1");
    driver.create("3", "2");
    for (String id : new String[] {"1", "2", "3"}) {
      assertEquals(0755, Nodes.mode(home.resolve("diff").resolve(id)));
      assertEquals(0755, Nodes.mode(home.resolve("mnt").resolve(id)));
      assertEquals(0644, Nodes.mode(home.resolve("layers").resolve(id)));
      assertEquals(Set.of(), Nodes.names(home.resolve("mnt").resolve(id)));
    }
    assertEquals(0, Files.size(home.resolve("layers/1")));
    assertEquals("1\n", Files.readString(home.resolve("layers/2")));
    assertEquals("2\n1\n", Files.readString(home.resolve("layers/3")));
    assertEquals(Set.of("1", "2", "3"), Nodes.names(home.resolve("layers")));
    assertEquals(Set.of("diff", "layers", "mnt"), Nodes.names(home));
    Map<String, String> status = driver.status();
    assertEquals(
        List.of("Root Dir", "Backing Filesystem", "Dirs", "Dirperm1 Supported"),
        List.copyOf(status.keySet()));
    assertEquals(home.toString(), status.get("Root Dir"));
    assertEquals("3", status.get("Dirs"));
    assertEquals("false", status.get("Dirperm1 Supported"));
    assertEquals(Map.of(), driver.metadata("3"));
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void removeLeavesNoTrace(Backing backing) throws IOException {
    open(backing);
    driver.create("1", null);
    driver.create("2", "1");
    sandbox.layerOps().apply("2", LayerTar.create().dir("d", 0755).file("d/f", "f", 0644).bytes());
    try (Mount m = driver.get("2", true)) {
      Nodes.write(m.root().resolve("g"), "g", 0644);
    }
    driver.remove("2");
    assertEquals(Set.of("1"), Nodes.names(home.resolve("diff")));
    assertEquals(Set.of("1"), Nodes.names(home.resolve("mnt")));
    assertEquals(Set.of("1"), Nodes.names(home.resolve("layers")));
    driver.remove("1");
    assertEquals(Set.of(), Nodes.names(home.resolve("diff")));
    assertEquals(Set.of(), Nodes.names(home.resolve("layers")));
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void openingCleansWhatInterruptedWorkLeft(Backing backing) throws IOException {
    open(backing);
    driver.create("kept", null);
    Files.createDirectories(home.resolve("diff/old-removing/deep/er"));
    Files.writeString(home.resolve("diff/old-removing/deep/er/f"), "x");
    Files.createDirectories(home.resolve("mnt/old-removing"));
    Files.writeString(home.resolve("layers/.tmp-half-0a1b2c"), "kept\n");
    Files.createDirectories(
        home.resolve("diff/orphan/etc")); // a create that died before its layers file
    Files.createDirectories(home.resolve("mnt/orphan"));
    driver = sandbox.reopen();
    assertEquals(Set.of("kept", "orphan"), Nodes.names(home.resolve("diff")));
    assertEquals(Set.of("kept", "orphan"), Nodes.names(home.resolve("mnt")));
    assertEquals(Set.of("kept"), Nodes.names(home.resolve("layers")));
    assertEquals(List.of("kept"), driver.list());
    assertFalse(driver.exists("orphan"));
    driver.create("orphan", "kept");
    assertEquals(Set.of(), Nodes.names(home.resolve("diff/orphan")), "the leftover was replaced");
    sandbox.reopen();
    driver = sandbox.reopen();
    assertEquals(List.of("kept"), driver.parents("orphan"));
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void layersFilesWrittenByDockerAreRead(Backing backing) throws IOException {
    open(backing);
    for (String id : new String[] {"a", "b", "c"}) {
      Files.createDirectories(home.resolve("diff").resolve(id));
      Files.createDirectories(home.resolve("mnt").resolve(id));
    }
    Files.writeString(home.resolve("layers/a"), "");
    Files.writeString(home.resolve("layers/b"), "a\r\n\r\n");
    Files.writeString(home.resolve("layers/c"), "b\na");
    assertEquals(List.of("b", "a"), driver.parents("c"));
    assertEquals(List.of("a"), driver.parents("b"));
    assertEquals(List.of(), driver.parents("a"));
    driver.create("d", "c");
    assertEquals("c\nb\na\n", Files.readString(home.resolve("layers/d")));
    Files.writeString(home.resolve("layers/e"), "../escape\n");
    assertThrows(IOException.class, () -> driver.parents("e"));
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void idsEndingInRemovingAreRefused(Backing backing) throws IOException {
    open(backing);
    assertThrows(IllegalArgumentException.class, () -> driver.create("x-removing", null));
    assertFalse(driver.exists("x-removing"));
  }

  /**
   * A writable branch gets what aufs puts into one (docs/aufs-layout.md §4.2): the base file, plnk
   * and orph; they never show through the mount, in the diff or in the changes.
   */
  @ParameterizedTest
  @EnumSource(Backing.class)
  void writableMountsGetAufsBranchMeta(Backing backing) throws IOException {
    open(backing);
    driver.create("base", null);
    sandbox
        .layerOps()
        .apply(
            "base",
            LayerTar.create()
                .dir("a", 0755)
                .file("a/x", "x", 0644)
                .dir("d", 0755)
                .file("d/z", "z", 0644)
                .bytes());
    try (Mount m = driver.get("base", true)) {
      Nodes.write(m.root().resolve("new"), "n", 0644);
    }
    assertEquals(
        Set.of("a", "d", "new"),
        Nodes.names(home.resolve("diff/base")),
        "no mount, no meta (as the kernel)");
    driver.create("top", "base");
    try (Mount m = driver.get("top", true)) {
      Path r = m.root();
      assertEquals(Set.of("a", "d", "new"), Nodes.names(r));
      Files.delete(r.resolve("a/x"));
      Nodes.deleteTree(r.resolve("d"));
      Nodes.mkdir(r.resolve("d"), 0755);
      assertThrows(IOException.class, () -> Files.createFile(r.resolve(".wh.reserved")));
      assertThrows(IOException.class, () -> Files.createFile(r.resolve("a/.wh..wh..opq")));
    }
    Path diff = home.resolve("diff/top");
    assertEquals(
        Set.of(".wh..wh.aufs", ".wh..wh.orph", ".wh..wh.plnk", "a", "d"), Nodes.names(diff));
    // through the layer's tree: on jimfs the modes live in its records
    io.layerstore.platform.Tree tree = sandbox.layerOps().tree("top");
    assertTrue(tree.stat(diff.resolve(".wh..wh.aufs")).isRegular());
    assertEquals(0444, tree.stat(diff.resolve(".wh..wh.aufs")).mode());
    assertTrue(tree.stat(diff.resolve(".wh..wh.plnk")).isDirectory());
    assertEquals(0700, tree.stat(diff.resolve(".wh..wh.plnk")).mode());
    assertEquals(0700, tree.stat(diff.resolve(".wh..wh.orph")).mode());
    assertEquals(Set.of(".wh.x"), Nodes.names(diff.resolve("a")));
    assertTrue(tree.stat(diff.resolve("a/.wh.x")).isRegular());
    assertEquals(0444, tree.stat(diff.resolve("a/.wh.x")).mode());
    assertEquals(Set.of(".wh..wh..opq"), Nodes.names(diff.resolve("d")));
    assertEquals(
        new TreeSet<>(List.of("a/", "a/.wh.x", "d/", "d/.wh..wh..opq")),
        new TreeSet<>(LayerTar.names(sandbox.layerOps().diff("top"))));
    assertEquals("[C /a, D /a/x, C /d, D /d/z]", sandbox.layerOps().changes("top").toString());
    assertEquals(0, driver.diffSize("top"));
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void inProcessMountsListTheirBranchesTheAufsWay(Backing backing) throws IOException {
    open(backing);
    AufsDriver aufs = (AufsDriver) driver;
    assertFalse(aufs.usesKernel());
    driver.create("base", null);
    driver.create("mid", "base");
    driver.create("top", "mid");
    assertEquals(Optional.empty(), aufs.branches("top"));
    String d = home.resolve("diff").toString() + "/";
    MountBranches rw;
    try (Mount m = driver.get("top", true)) {
      rw = aufs.branches("top").orElseThrow();
      assertEquals(rw, aufs.branches("top").orElseThrow(), "stable");
    }
    assertFalse(rw.kernel());
    assertEquals(home.resolve("mnt/top").toString(), rw.mountPoint());
    assertTrue(rw.si().matches("[0-9a-f]{1,16}"), rw.si());
    assertEquals("/dev/shm/aufs.xino", rw.xinoPath());
    assertEquals(
        List.of(
            new Branch(0, d + "top", "rw", 64),
            new Branch(1, d + "mid", "ro+wh", 65),
            new Branch(2, d + "base", "ro+wh", 66)),
        rw.branches());
    try (Mount m = driver.get("top", false)) {
      MountBranches ro = aufs.branches("top").orElseThrow();
      assertEquals("ro+wh", ro.branches().get(0).permission());
      assertEquals(rw.si(), ro.si());
    }
    assertEquals(Optional.empty(), aufs.branches("top"));
    assertThrows(NotFoundException.class, () -> aufs.branches("unknown"));
  }

  /**
   * aufs_test's TestMountMoreThan42Layers: 127 layers, each adding a file, every 10th whiting out
   * its parent's; the top mount lists exactly what is left.
   */
  @ParameterizedTest
  @EnumSource(Backing.class)
  void deepChainWithWhiteouts(Backing backing) throws IOException {
    open(backing);
    String parent = null;
    Set<String> expected = new TreeSet<>();
    for (int i = 1; i <= AufsLayout.MAX_PARENTS + 1; i++) {
      String id = "deep-" + i;
      LayerTar tar = LayerTar.create().file("f" + i, Integer.toString(i), 0644);
      expected.add("f" + i);
      if (i % 10 == 0) {
        tar.whiteout("f" + (i - 1));
        expected.remove("f" + (i - 1));
      }
      driver.create(id, parent);
      sandbox.layerOps().apply(id, tar.bytes());
      parent = id;
    }
    try (Mount m = driver.get(parent, false)) {
      assertEquals(expected, Nodes.names(m.root()));
      assertEquals(127 - 12, Nodes.names(m.root()).size());
      assertEquals("127", Files.readString(m.root().resolve("f127")));
    }
  }

  /** An aufs home always has its three dirs; only layers in it fix a store's driver. */
  @ParameterizedTest
  @EnumSource(Backing.class)
  void anEmptyAufsStoreMayBeOpenedWithAnotherDriver(Backing backing) throws IOException {
    open(backing);
    assertFalse(new AufsProvider().hasLayers(home));
    try (LayerStore s = sandbox.storeBuilder().open()) {
      assertEquals("aufs", s.driverName());
    }
    try (LayerStore s =
        LayerStore.builder(sandbox.dataRoot())
            .driver("overlay2")
            .platform(sandbox.platformMode())
            .open()) {
      assertEquals("overlay2", s.driverName());
    }
    driver.create("one", null);
    assertTrue(new AufsProvider().hasLayers(home));
  }
}

package io.layerstore.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.ConflictException;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.InvalidReferenceException;
import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import io.layerstore.Mount;
import io.layerstore.PruneOptions;
import io.layerstore.RemoveOptions;
import io.layerstore.StoreInfo;
import io.layerstore.container.CreateOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * What every graph driver must do under a {@link LayerStore}: Docker's reference image loads,
 * mounts to exactly the root filesystem Docker's own mount showed and saves back byte for byte;
 * layers other images still use survive a removal; a mounted image cannot be removed; and a store's
 * driver is fixed once it holds layers. Extended per driver and {@link Backing} like {@link
 * GraphDriverContract}.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
public abstract class LayerStoreContract extends ContractSubject {

  /**
   * The run's subject.
   *
   * @param driverName the driver's registered name
   * @param backing where this run keeps its data-root
   * @param mountKind what a mount of an image gives on this backing; {@link MountKind#KERNEL} makes
   *     the run need kernel mounts: skipped where there are none, failing under {@code
   *     -Dlayerstore.requirePlatform=true}
   */
  protected LayerStoreContract(String driverName, Backing backing, MountKind mountKind) {
    super(driverName, backing, mountKind);
  }

  /**
   * Options the driver is opened with. Override to pass some; the default is none.
   *
   * @return the options, handed to {@link DriverSandbox#create}
   */
  protected Map<String, String> driverOptions() {
    return Map.of();
  }

  /**
   * The current test's sandbox, made before each test and closed after it; its {@link
   * DriverSandbox#store()} is the store under test.
   */
  protected DriverSandbox sandbox;

  @BeforeEach
  void openSandbox() throws IOException {
    sandbox = DriverSandbox.create(driverName(), backing(), driverOptions());
    if (mountKind() == MountKind.KERNEL) {
      PlatformRequirements.require(
          sandbox.platform().kernelMounts().isPresent(),
          "kernel mounts (Linux, root, a file system that holds device nodes and trusted xattrs)");
    }
  }

  @AfterEach
  void closeSandbox() throws IOException {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static Path fixture(Path p) {
    PlatformRequirements.require(Files.isRegularFile(p), "the fixture " + p);
    return p;
  }

  @Test
  void fxMultiMountsToDockersRootfs() throws Exception {
    Path archive = fixture(Fixtures.fxMultiArchive());
    LayerStore store = sandbox.store();
    List<ImageId> ids = store.load(archive);
    assertEquals(List.of(ImageId.parse(Fixtures.FX_MULTI_ID)), ids);
    List<String> expected = RootfsManifest.read(fixture(Fixtures.fxMultiManifest()), true);
    try (Mount m = store.mount("fx:multi")) {
      assertEquals(mountKind() == MountKind.KERNEL, m.isKernelMount());
      assertEquals(expected, RootfsManifest.of(m.root(), true));
      if (m.isKernelMount()) {
        Path python = PlatformRequirements.requireExecutable("python3", "python3");
        Process p =
            new ProcessBuilder(
                    python.toString(),
                    Fixtures.rootfsManifestScript().toString(),
                    m.root().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue());
        assertEquals(expected, List.of(out.split("\n")));
      }
    }
    assertFalse(store.isMounted(ids.get(0)));
  }

  @Test
  void fxMultiSavesByteForByte() throws IOException {
    Path archive = fixture(Fixtures.fxMultiArchive());
    LayerStore store = sandbox.store();
    store.load(archive);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.save(List.of("fx:multi"), out);
    assertArrayEquals(
        Files.readAllBytes(archive),
        out.toByteArray(),
        "save of fx:multi differs from docker save");
  }

  private Path archive(String name, ImageArchiveBuilder b) throws IOException {
    Path p = sandbox.scratch().resolve(name);
    b.write(p);
    return p;
  }

  private static ImageArchiveBuilder baseImage(String tag) throws IOException {
    ImageArchiveBuilder b =
        new ImageArchiveBuilder().created(Instant.parse("2024-02-01T00:00:00Z")).tag(tag);
    b.layer().dir("etc", 0755).file("etc/base", "base\n", 0644);
    return b;
  }

  /** Loads the base image with a second layer holding {@code file}; returns its id. */
  private ImageId loadWithFile(String tag, String file, String content) throws IOException {
    ImageArchiveBuilder b = baseImage(tag);
    b.layer().file(file, content, 0644);
    return sandbox.store().load(archive(tag.replaceAll("[/:]", "-") + ".tar", b)).get(0);
  }

  /** Images share their common base layers; removing one image keeps what the other still uses. */
  @Test
  void removingAnImageKeepsLayersAnotherImageUses() throws IOException {
    LayerStore store = sandbox.store();
    ImageId base = store.load(archive("base.tar", baseImage("kit/base:1"))).get(0);
    ImageArchiveBuilder childBuilder = baseImage("kit/child:1");
    childBuilder.layer().file("etc/child", "child\n", 0644);
    ImageId child = store.load(archive("child.tar", childBuilder)).get(0);
    assertEquals(2, store.images().size());
    LayerStore.Removal r = store.remove("kit/base:1", RemoveOptions.defaults());
    assertEquals(List.of(base), r.deleted());
    assertEquals(List.of(), r.layersDeleted(), "the child image still uses the base layer");
    try (Mount m = store.mount(child)) {
      assertEquals("base\n", Files.readString(m.root().resolve("etc/base")));
      assertEquals("child\n", Files.readString(m.root().resolve("etc/child")));
    }
    LayerStore.Removal r2 = store.remove("kit/child:1", RemoveOptions.defaults());
    assertEquals(2, r2.layersDeleted().size());
    assertEquals(List.of(), store.driver().list(), "no layer directory is left");
  }

  @Test
  void removingAMountedImageIsRefused() throws IOException {
    LayerStore store = sandbox.store();
    ImageId id = loadWithFile("kit/mounted:1", "etc/top", "top\n");
    try (Mount m = store.mount(id)) {
      assertThrows(
          ConflictException.class,
          () -> store.remove("kit/mounted:1", RemoveOptions.defaults().force()));
      assertEquals("top\n", Files.readString(m.root().resolve("etc/top")));
      assertTrue(store.isMounted(id));
    }
    assertFalse(store.isMounted(id));
    assertEquals(List.of(id), store.remove("kit/mounted:1", RemoveOptions.defaults()).deleted());
  }

  @Test
  void theDriverIsFixedOnceTheStoreHasLayers() throws IOException {
    LayerStore store = sandbox.store();
    ImageId id = store.load(archive("fixed.tar", baseImage("kit/fixed:1"))).get(0);
    sandbox.closeStore();
    String other = driverName().equals("aufs") ? "overlay2" : "aufs";
    ConflictException e =
        assertThrows(
            ConflictException.class,
            () ->
                LayerStore.builder(sandbox.dataRoot())
                    .driver(other)
                    .platform(sandbox.platformMode())
                    .open());
    assertTrue(e.getMessage().contains(driverName()), e.getMessage());
    assertFalse(
        Files.exists(sandbox.dataRoot().resolve("image").resolve(other)),
        "nothing made for " + other);
    assertFalse(Files.exists(sandbox.dataRoot().resolve(other)), "nothing made for " + other);
    List<String> seen = new ArrayList<>();
    LayerStore.Builder unnamed =
        LayerStore.builder(sandbox.dataRoot()).platform(sandbox.platformMode());
    driverOptions().forEach(unnamed::driverOption);
    try (LayerStore again = unnamed.open()) {
      seen.add(again.driverName());
      assertEquals(id, again.resolve("kit/fixed:1"));
    }
    assertEquals(
        List.of(driverName()), seen, "opened without a driver name, the store keeps its driver");
  }

  // ---- a store that cannot be misused quietly -------------------------------------------------

  @Test
  void aClosedStoreRefusesEveryCall() throws IOException {
    LayerStore store = sandbox.store();
    ImageId id = store.load(archive("closed.tar", baseImage("kit/closed:1"))).get(0);
    Path again = archive("again.tar", baseImage("kit/again:1"));
    store.close();
    store.close(); // a second close does nothing
    List<Executable> calls =
        List.of(
            () -> store.load(again),
            store::images,
            () -> store.resolve("kit/closed:1"),
            () -> store.mount(id),
            () -> store.isMounted(id),
            () -> store.unmount(id),
            () -> store.save(List.of("kit/closed:1"), new ByteArrayOutputStream()),
            () -> store.remove("kit/closed:1", RemoveOptions.defaults()),
            store::check,
            store::info,
            () -> store.containers().list());
    for (Executable call : calls) {
      IllegalStateException e = assertThrows(IllegalStateException.class, call);
      assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }
    try (LayerStore reopened = sandbox.storeBuilder().open()) {
      assertEquals(List.of(id), reopened.images().stream().map(i -> i.id()).toList());
      assertFalse(reopened.isMounted(id), "nothing was mounted by the refused mount");
    }
  }

  @Test
  void closingAStoreWithOpenMountsNamesThem() throws IOException {
    LayerStore store = sandbox.store();
    ImageId id = store.load(archive("open.tar", baseImage("kit/open:1"))).get(0);
    Mount m = store.mount(id);
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      store.close();
    } finally {
      System.setErr(err);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains("WARN"), log);
    assertTrue(log.contains("image " + id), "the warning names the image: " + log);
    assertTrue(log.contains(m.root().toString()), "and where it was mounted: " + log);
  }

  @Test
  void pathReachesTheImagesFileOnEveryKindOfMount() throws IOException {
    LayerStore store = sandbox.store();
    ImageId id = loadWithFile("kit/path:1", "etc/os-release", "ID=layerstore-kit\n");
    try (Mount m = store.mount(id)) {
      assertEquals("ID=layerstore-kit\n", Files.readString(m.path("/etc/os-release")));
      assertEquals("ID=layerstore-kit\n", Files.readString(m.path("etc/os-release")));
      assertEquals(m.root(), m.path("/"));
      assertThrows(IllegalArgumentException.class, () -> m.path("/etc/../../host"));
    }
  }

  @Test
  void leftMountsAreCountedAndEachUnmountGivesOneBack() throws IOException {
    LayerStore store = sandbox.store();
    ImageId id = store.load(archive("count.tar", baseImage("kit/count:1"))).get(0);
    if (backing() == Backing.JIMFS) {
      // Nothing on an in-memory file system outlives the process, so nothing can be left there:
      // the refusal is the contract, and it must leave no count behind.
      try (Mount m = store.mount(id)) {
        assertThrows(LayerStoreException.class, m::leaveMounted);
      }
      assertFalse(store.isMounted(id), "a refused leaveMounted leaves no count");
      assertFalse(store.unmount(id), "nothing was left to give back");
      return;
    }
    // On disk a mount is left as the kernel mount, or (aufs without the kernel module) as the
    // merged copy the driver writes; both are counted the same way.
    store.mount(id).leaveMounted();
    store.mount(id).leaveMounted();
    assertTrue(store.unmount(id));
    assertTrue(store.isMounted(id), "the second mount's count keeps it up");
    assertTrue(store.unmount(id));
    assertFalse(store.isMounted(id), "the last count unmounts");
    assertFalse(store.unmount(id), "nothing left to give back");
    assertTrue(sandbox.kernelMountsBelow().isEmpty(), sandbox.kernelMountsBelow().toString());

    store.mount(id).leaveMounted();
    try (Mount held = store.mount(id)) {
      assertTrue(store.unmount(id));
      assertTrue(store.isMounted(id), "an open handle still holds it");
      assertFalse(store.unmount(id), "the handle's reference is not one left behind");
      assertEquals("base\n", Files.readString(held.path("/etc/base")));
    }
    assertFalse(store.isMounted(id), "closing the last handle unmounts");

    store.mount(id).leaveMounted();
    store.mount(id).leaveMounted();
    store.unmountAll(id);
    assertFalse(store.isMounted(id), "unmountAll drops every count");
    assertFalse(store.unmount(id));
  }

  // ---- a refused input leaves nothing behind ---------------------------------------------------

  @Test
  void aRefusedLoadLeavesNoLockFileAndPruneRemovesStaleOnes() throws IOException {
    LayerStore store = sandbox.store();
    ImageId id = store.load(archive("kept.tar", baseImage("kit/kept:1"))).get(0);
    Path locks = sandbox.dataRoot().resolve("layerstore/locks");
    List<String> before = names(locks);
    ImageArchiveBuilder refused = baseImage("kit/refused:1");
    refused.layer().file("etc/new", "new\n", 0644).hardlink("etc/h", "etc/nothere");
    assertThrows(InvalidArchiveException.class, () -> store.load(archive("refused.tar", refused)));
    assertEquals(before, names(locks), "no lock of a chain that was never stored");

    // chain-<hex>.lock files of earlier versions: prune drops those of chains that are gone
    String kept = store.image(id.toString()).chainIds().get(0).digest().hex();
    String gone = "ab".repeat(32);
    Files.createFile(locks.resolve("chain-" + kept + ".lock"));
    Files.createFile(locks.resolve("chain-" + gone + ".lock"));
    store.prune(PruneOptions.defaults());
    assertTrue(Files.exists(locks.resolve("chain-" + kept + ".lock")));
    assertFalse(Files.exists(locks.resolve("chain-" + gone + ".lock")));
  }

  private static List<String> names(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  // ---- errors that name the real problem ------------------------------------------------------

  @Test
  void errorsNameTheRealProblem() throws IOException {
    LayerStore store = sandbox.store();
    Path missing = sandbox.scratch().resolve("missing.tar");
    NoSuchFileException nsf = assertThrows(NoSuchFileException.class, () -> store.load(missing));
    assertTrue(nsf.getMessage().contains(missing.toString()), nsf.getMessage());

    ImageId id = store.load(archive("errors.tar", baseImage("kit/errors:1"))).get(0);
    for (String bad : List.of("Upper/Case", "bad tag:x y", "a@sha256:zz", "")) {
      assertThrows(InvalidReferenceException.class, () -> store.tag("kit/errors:1", bad), bad);
    }
    assertThrows(InvalidReferenceException.class, () -> store.resolve("-bad"));
    assertThrows(
        InvalidReferenceException.class,
        () -> store.importLayer(archive("layer.tar", baseImage("kit/x:1")), "Not Valid"));
    assertEquals(List.of(id), store.images().stream().map(i -> i.id()).toList());

    Path random = sandbox.scratch().resolve("random.bin");
    byte[] bytes = new byte[4096];
    new java.util.Random(42).nextBytes(bytes);
    Files.write(random, bytes);
    InvalidArchiveException e =
        assertThrows(InvalidArchiveException.class, () -> store.load(random));
    assertTrue(e.getMessage().startsWith(random + ": not a tar archive"), e.getMessage());
    assertTrue(e.getMessage().length() < random.toString().length() + 120, e.getMessage());
  }

  // ---- info -----------------------------------------------------------------------------------

  @Test
  void infoSaysWhatDockerInfoSaysAboutStorage() throws IOException {
    LayerStore store = sandbox.store();
    store.load(archive("info.tar", baseImage("kit/info:1")));
    store.containers().create("kit/info:1", CreateOptions.defaults());
    StoreInfo info = store.info();
    assertEquals(driverName(), info.driver());
    assertEquals(1, info.images());
    assertEquals(1, info.containers());
    assertEquals(store.root(), info.root());
    List<String> keys =
        driverName().equals("aufs")
            ? List.of("Root Dir", "Backing Filesystem", "Dirs", "Dirperm1 Supported")
            : List.of("Backing Filesystem", "Supports d_type", "Native Overlay Diff");
    assertEquals(keys, List.copyOf(info.driverStatus().keySet()).subList(0, keys.size()));
    String text = info.format();
    assertTrue(text.startsWith("Containers: 1\nImages: 1\nStorage Driver: " + driverName()), text);
    assertTrue(text.contains("\n " + keys.get(0) + ": "), text);
    assertTrue(text.endsWith("Docker Root Dir: " + store.root() + "\n"), text);
  }
}

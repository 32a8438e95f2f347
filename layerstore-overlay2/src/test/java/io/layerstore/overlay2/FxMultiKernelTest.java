package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PlatformMode;
import io.layerstore.platform.KernelMounts;
import io.layerstore.platform.Platform;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RootfsManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 2 acceptance with real kernel overlay mounts (Linux, root). */
class FxMultiKernelTest {

  @TempDir Path tmp;

  /** The kernel's mount table, read as the store's native platform reads it. */
  private KernelMounts kernel() {
    return Platform.forRoot(tmp).kernelMounts().orElseThrow();
  }

  @BeforeEach
  void requireKernel() {
    PlatformRequirements.requireKernelOverlay();
  }

  @Test
  void kernelMountEqualsDockersRootfs() throws Exception {
    try (LayerStore store = LayerStore.open(tmp.resolve("root"))) {
      assertEquals(PlatformMode.NATIVE, store.platform());
      store.load(Fixtures.fxMultiArchive());
      try (Mount m = store.mount("fx:multi")) {
        assertTrue(m.isKernelMount());
        assertEquals("overlay", kernel().mountType(m.root()));
        // The reference script, reading through the kernel.
        Process p =
            new ProcessBuilder(
                    "python3", Fixtures.rootfsManifestScript().toString(), m.root().toString())
                .redirectErrorStream(true)
                .start();
        String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), listing);
        assertEquals(Files.readString(Fixtures.fxMultiManifest()), listing);
        assertEquals(
            RootfsManifest.read(Fixtures.fxMultiManifest(), true),
            RootfsManifest.of(m.root(), true));
      }
    }
  }

  @Test
  void repeatedMountsShareOneKernelMount() throws IOException {
    try (LayerStore store = LayerStore.open(tmp.resolve("root"))) {
      ImageId id = store.load(Fixtures.fxMultiArchive()).get(0);
      Mount a = store.mount(id);
      Mount b = store.mount(id);
      assertEquals(a.root(), b.root());
      assertTrue(store.isMounted(id));
      a.close();
      assertTrue(store.isMounted(id), "still mounted while b holds it");
      assertTrue(Files.exists(b.root().resolve("bin/busybox")));
      b.close();
      assertFalse(store.isMounted(id));
      assertFalse(Files.exists(b.root()), "merged/ is removed after the last unmount");
    }
  }

  @Test
  void mountIsReadOnly() throws IOException {
    try (LayerStore store = LayerStore.open(tmp.resolve("root"))) {
      store.load(Fixtures.fxMultiArchive());
      try (Mount m = store.mount("fx:multi")) {
        assertFalse(m.isWritable());
        IOException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                IOException.class, () -> Files.writeString(m.root().resolve("etc/new"), "x"));
        assertTrue(
            e.getMessage().contains("Read-only") || e.toString().contains("ReadOnly"),
            e.toString());
      }
    }
  }

  @Test
  void closingTheStoreUnmountsWhatItHolds() throws IOException {
    Path merged;
    LayerStore store = LayerStore.open(tmp.resolve("root"));
    ImageId id = store.load(Fixtures.fxMultiArchive()).get(0);
    Mount m = store.mount(id);
    merged = m.root();
    assertTrue(kernel().isMountPoint(merged));
    store.close();
    try (LayerStore again = LayerStore.open(tmp.resolve("root"))) {
      assertFalse(again.isMounted(id));
      assertFalse(kernel().isMountPoint(merged));
    }
  }

  @Test
  void leftMountedSurvivesTheStoreAndUnmountReleasesIt() throws IOException {
    ImageId id;
    Path merged;
    try (LayerStore store = LayerStore.open(tmp.resolve("root"))) {
      id = store.load(Fixtures.fxMultiArchive()).get(0);
      Mount m = store.mount(id);
      merged = m.root();
      m.leaveMounted();
    }
    try (LayerStore store = LayerStore.open(tmp.resolve("root"))) {
      assertTrue(store.isMounted(id));
      assertTrue(Files.exists(merged.resolve("etc/conf.d/b.conf")));
      store.unmount(id);
      assertFalse(store.isMounted(id));
    }
  }

  @Test
  void singleLayerImageMountsReadOnly() throws IOException {
    io.layerstore.testkit.ImageArchiveBuilder b =
        new io.layerstore.testkit.ImageArchiveBuilder().tag("one:layer");
    b.layer().dir("etc", 0755).file("etc/hello", "hi\n", 0644);
    Path archive = tmp.resolve("one.tar");
    b.write(archive);
    try (LayerStore store = LayerStore.open(tmp.resolve("root"))) {
      store.load(archive);
      try (Mount m = store.mount("one:layer")) {
        assertTrue(m.isKernelMount());
        assertEquals("hi\n", Files.readString(m.root().resolve("etc/hello")));
        assertThrowsIo(() -> Files.writeString(m.root().resolve("etc/hello"), "changed"));
      }
    }
  }

  @Test
  void chainOf125LayersMountsWithShortLinks() throws IOException {
    io.layerstore.testkit.ImageArchiveBuilder b =
        new io.layerstore.testkit.ImageArchiveBuilder().tag("deep:125");
    for (int i = 0; i < 125; i++) {
      b.layer()
          .dir("layers", 0755)
          .file("layers/" + i, "layer " + i + "\n", 0644)
          .file("top", "top is layer " + i + "\n", 0644);
    }
    Path archive = tmp.resolve("deep.tar");
    b.write(archive);
    // A deep root makes the absolute form of the options far longer than a page.
    Path root =
        tmp.resolve("a-rather-long-directory-name-to-make-absolute-lower-paths-longer/store");
    try (LayerStore store = LayerStore.open(root)) {
      store.load(archive);
      try (Mount m = store.mount("deep:125")) {
        assertTrue(m.isKernelMount());
        assertEquals("top is layer 124\n", Files.readString(m.root().resolve("top")));
        try (var s = Files.list(m.root().resolve("layers"))) {
          assertEquals(125, s.count());
        }
        String mounts = Files.readString(Path.of("/proc/self/mountinfo"));
        String line =
            mounts.lines().filter(l -> l.contains(m.root().toString())).findFirst().orElseThrow();
        assertTrue(
            line.contains("lowerdir=l/"),
            "relative short links expected: " + line.substring(0, 200));
      }
    }
  }

  @Test
  void depth126IsRefused() throws IOException {
    io.layerstore.testkit.ImageArchiveBuilder b =
        new io.layerstore.testkit.ImageArchiveBuilder().tag("deep:126");
    for (int i = 0; i < 126; i++) {
      b.layer().file("f" + i, "x", 0644);
    }
    Path archive = tmp.resolve("deep.tar");
    b.write(archive);
    try (LayerStore store = LayerStore.open(tmp.resolve("root"))) {
      io.layerstore.InvalidArchiveException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              io.layerstore.InvalidArchiveException.class, () -> store.load(archive));
      assertTrue(e.getMessage().contains("max depth exceeded"), e.getMessage());
      assertTrue(store.images().isEmpty());
    }
  }

  private static void assertThrowsIo(org.junit.jupiter.api.function.Executable e) {
    org.junit.jupiter.api.Assertions.assertThrows(IOException.class, e);
  }

  @SuppressWarnings("unused")
  private static void unused(Object a, Object b) {
    assertSame(a, b);
    assertNotEquals(a, b);
    assertArrayEquals(new byte[0], new byte[0]);
    List.of();
  }
}

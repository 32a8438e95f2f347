package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.ImageId;
import io.layerstore.ImageSummary;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PlatformMode;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.RootfsManifest;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 2 acceptance on jimfs: fx:multi loaded into a store on an in-memory file system mounts
 * (in-process union) to exactly the tree Docker's kernel mount shows, and saves byte for byte.
 */
class FxMultiJimfsTest {

  private FileSystem fs;
  private Path root;

  @BeforeEach
  void setUp() {
    fs = Jimfs.newFileSystem(Configuration.unix());
    root = fs.getPath("/store");
  }

  @AfterEach
  void tearDown() throws IOException {
    fs.close();
  }

  @Test
  void mountEqualsDockersRootfs() throws IOException {
    Path archive = fs.getPath("/fx-multi.docker.tar");
    Files.copy(Fixtures.fxMultiArchive(), archive);
    try (LayerStore store = LayerStore.open(root)) {
      assertEquals(PlatformMode.EMULATED, store.platform());
      List<ImageId> ids = store.load(archive);
      assertEquals(List.of(ImageId.parse(Fixtures.FX_MULTI_ID)), ids);
      List<ImageSummary> images = store.images();
      assertEquals(1, images.size());
      assertEquals(List.of("fx:multi"), images.get(0).repoTags());
      assertEquals(4079681, images.get(0).size());
      try (Mount m = store.mount("fx:multi")) {
        assertFalse(m.isKernelMount());
        // Everything rootfs-manifest.py lists: paths, types, modes, owners, sizes, contents,
        // link targets, device numbers, user xattrs and mtimes.
        assertEquals(
            RootfsManifest.read(Fixtures.fxMultiManifest(), true),
            RootfsManifest.of(m.root(), true));
        assertEquals("changed\n", Files.readString(m.root().resolve("etc/conf.d/b.conf")));
      }
    }
  }

  @Test
  void saveIsByteForByteDockersArchive() throws IOException {
    Path archive = fs.getPath("/fx-multi.docker.tar");
    Files.copy(Fixtures.fxMultiArchive(), archive);
    Path out = fs.getPath("/out.tar");
    try (LayerStore store = LayerStore.open(root)) {
      store.load(archive);
      store.save(List.of("fx:multi"), out);
    }
    assertArrayEquals(Files.readAllBytes(Fixtures.fxMultiArchive()), Files.readAllBytes(out));
  }

  @Test
  void reopenedStoreStillServesTheImage() throws IOException {
    Path archive = fs.getPath("/a.tar");
    Files.copy(Fixtures.fxMultiArchive(), archive);
    try (LayerStore store = LayerStore.open(root)) {
      store.load(archive);
    }
    try (LayerStore store = LayerStore.open(root);
        Mount m = store.mount("fx:multi")) {
      assertEquals(
          RootfsManifest.read(Fixtures.fxMultiManifest(), true), RootfsManifest.of(m.root(), true));
      assertTrue(Files.isDirectory(root.resolve("image/overlay2/layerdb/sha256")));
    }
  }
}

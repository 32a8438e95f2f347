package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Jimfs;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import io.layerstore.Mount;
import io.layerstore.PlatformMode;
import io.layerstore.testkit.DriverSandbox;
import io.layerstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LayerStore.Builder#platform(PlatformMode)}, and what {@link LayerStore#platform} says. */
class StorePlatformModeTest {

  @TempDir Path tmp;

  @Test
  void jimfsIsEmulatedAndCannotBeNative() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(DriverSandbox.JIMFS_CONFIG)) {
      Path root = fs.getPath("/store");
      try (LayerStore s = LayerStore.open(root)) {
        assertEquals(PlatformMode.EMULATED, s.platform());
      }
      LayerStoreException e =
          assertThrows(
              LayerStoreException.class,
              () -> LayerStore.builder(root).platform(PlatformMode.NATIVE).open());
      assertTrue(e.getMessage().contains("not on the default file system"), e.getMessage());
    }
  }

  /** Emulation is forced even where the host could do everything natively (root on a disk). */
  @Test
  void emulatedOnDiskMountsInProcess() throws IOException {
    Path root = tmp.resolve("store");
    try (LayerStore s = LayerStore.builder(root).platform(PlatformMode.EMULATED).open()) {
      assertEquals(PlatformMode.EMULATED, s.platform());
      ImageId id = s.load(Fixtures.fxMultiArchive()).get(0);
      try (Mount m = s.mount(id)) {
        assertFalse(m.isKernelMount());
        assertTrue(Files.isDirectory(m.root().resolve("etc")));
      }
    }
  }
}

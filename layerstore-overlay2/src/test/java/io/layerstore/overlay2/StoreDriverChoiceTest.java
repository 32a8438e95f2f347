package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Jimfs;
import io.layerstore.ConflictException;
import io.layerstore.LayerStore;
import io.layerstore.NotFoundException;
import io.layerstore.PlatformMode;
import io.layerstore.testkit.DriverSandbox;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A store's driver is the one it has layers of, even when that driver is not on the class path
 * (here only overlay2 is): opening such a store with overlay2 would make a mixed store.
 */
class StoreDriverChoiceTest {

  @Test
  void layersOfADriverNotOnTheClassPathFixTheStoreToo() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(DriverSandbox.JIMFS_CONFIG)) {
      Path root = fs.getPath("/store");
      Path layer = root.resolve("image/aufs/layerdb/sha256").resolve("ab".repeat(32));
      Files.createDirectories(layer);
      Files.writeString(layer.resolve("cache-id"), "x");
      NotFoundException nf =
          assertThrows(
              NotFoundException.class,
              () -> LayerStore.builder(root).platform(PlatformMode.EMULATED).open());
      assertTrue(nf.getMessage().contains("\"aufs\""), nf.getMessage());
      ConflictException c =
          assertThrows(
              ConflictException.class,
              () ->
                  LayerStore.builder(root)
                      .driver("overlay2")
                      .platform(PlatformMode.EMULATED)
                      .open());
      assertTrue(c.getMessage().contains("holds layers of driver aufs"), c.getMessage());
      assertFalse(Files.exists(root.resolve("overlay2")));
      assertFalse(Files.exists(root.resolve("image/overlay2")));
    }
  }

  @Test
  void anEmptyStoreTakesTheDefault() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(DriverSandbox.JIMFS_CONFIG);
        LayerStore s =
            LayerStore.builder(fs.getPath("/store")).platform(PlatformMode.EMULATED).open()) {
      assertEquals("overlay2", s.driverName());
    }
  }
}

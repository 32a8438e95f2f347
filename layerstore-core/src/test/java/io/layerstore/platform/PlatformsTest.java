package io.layerstore.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlatformsTest {
  @TempDir Path tmp;

  @Test
  void jimfsIsEmulated() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      Path root = Files.createDirectories(fs.getPath("/store"));
      Platform p = Platform.forRoot(root);
      assertFalse(p.isNative());
      assertTrue(p.kernelMounts().isEmpty());
      assertEquals("not on the default file system", Platforms.whyNotNative(root));
      Tree t = p.tree(root.resolve("t"), fs.getPath("/meta/t.json"));
      assertTrue(t.isEmulated());
    }
  }

  @Test
  void rootOnLinuxIsNativeAndLeavesNoProbeBehind() throws IOException {
    Platform p = PlatformAssumptions.nativePlatform(tmp);
    assertTrue(p.isNative());
    KernelMounts mounts = p.kernelMounts().orElseThrow();
    assertTrue(mounts.pageSize() >= 4096 && Integer.bitCount(mounts.pageSize()) == 1);
    assertFalse(p.tree(tmp, null).isEmulated(), "a native tree needs no sidecar");
    assertEquals(List.of(), TreeContract.list(tmp), "the probe cleaned up");

    // A root not made yet is probed in its nearest existing ancestor, and not created.
    Path later = tmp.resolve("not/yet");
    assertTrue(Platform.forRoot(later).isNative());
    assertFalse(Files.exists(tmp.resolve("not")));
    assertEquals(List.of(), TreeContract.list(tmp));
  }

  @Test
  void nativeTreesLiveOnTheDefaultFileSystemOnly() throws IOException {
    Platform p = PlatformAssumptions.nativePlatform(tmp);
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      assertThrows(IllegalArgumentException.class, () -> p.tree(fs.getPath("/t"), null));
    }
  }

  @Test
  void emulationCanBeForcedOnARealDisk() throws IOException {
    Platform p = Platform.emulated();
    assertFalse(p.isNative());
    assertTrue(p.kernelMounts().isEmpty());
    Path root = Files.createDirectory(tmp.resolve("tree"));
    Tree t = p.tree(root, tmp.resolve("tree.json"));
    assertTrue(t.isEmulated());
    t.makeNode(root.resolve("null"), NodeKind.CHAR_DEVICE, 0666, 1, 3);
    assertTrue(Files.isRegularFile(root.resolve("null"), LinkOption.NOFOLLOW_LINKS));
    t.flush();
    assertNotNull(Files.readString(tmp.resolve("tree.json")));
  }
}

package io.layerstore.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on a real directory with the emulated platform (no privilege needed). */
class EmulatedDiskTreeTest extends TreeContract {
  @TempDir Path tmp;

  @Override
  Path newBase() {
    return tmp;
  }

  @Override
  Platform platform(Path base) {
    return Platform.emulated();
  }

  @Test
  void placeholdersAreEmptyRegularFiles() throws IOException {
    Path wh = root.resolve("wh");
    tree.makeNode(wh, NodeKind.CHAR_DEVICE, 0, 0, 0);
    assertTrue(tree.isEmulated());
    assertTrue(Files.isRegularFile(wh, LinkOption.NOFOLLOW_LINKS));
    assertEquals(0, Files.size(wh));
    assertTrue(tree.stat(wh).isOverlayWhiteout());
  }

  @Test
  void fileSystemKeepsUsablePermissionBits() throws IOException {
    Path d = dir("d");
    Path f = file("f", "x");
    tree.setMode(d, 0);
    tree.setMode(f, 04444);
    Set<PosixFilePermission> dp = Files.getPosixFilePermissions(d, LinkOption.NOFOLLOW_LINKS);
    assertEquals(0700, FsNode.bits(dp));
    assertEquals(0644, FsNode.bits(Files.getPosixFilePermissions(f)));
    tree.setMode(f, 0751);
    assertEquals(0751, FsNode.bits(Files.getPosixFilePermissions(f)));
    assertEquals(0751, tree.stat(f).mode());
  }
}

package io.layerstore.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
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

  @Test
  void showsRealSpecialFilesWithoutOpeningThem() throws IOException {
    // A tree made natively and later opened emulated: its device nodes and fifos are real.
    PlatformAssumptions.nativePlatform(tmp);
    Path dev = root.resolve("null");
    Path fifo = root.resolve("fifo");
    LinuxCalls.mknod(dev, NodeKind.CHAR_DEVICE, 0620, 1, 3);
    LinuxCalls.mknod(fifo, NodeKind.FIFO, 0600, 0, 0);
    LinuxCalls.chmodNoFollow(dev, 0620);

    NodeStat s = tree.stat(dev);
    assertEquals(NodeKind.CHAR_DEVICE, s.kind());
    assertEquals(List.of(1, 3, 0620), List.of(s.devMajor(), s.devMinor(), s.mode()));
    assertEquals(NodeKind.FIFO, tree.stat(fifo).kind());

    tree.setMode(fifo, 0640); // recorded: NIO would open the fifo and block
    tree.setOwner(fifo, 3, 4);
    assertEquals(0640, tree.stat(fifo).mode());
    assertEquals(3, tree.stat(fifo).uid());
    assertEquals(
        0600, (int) Files.getAttribute(fifo, "unix:mode") & 07777, "the fifo is untouched");
    assertThrows(FileSystemException.class, () -> tree.setMtime(fifo, T1));
  }
}

package io.layerstore.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on a real directory with the native platform (Linux, root). */
class NativeTreeTest extends TreeContract {
  @TempDir Path tmp;

  @Override
  Path newBase() {
    return tmp;
  }

  @Override
  Platform platform(Path base) {
    return PlatformAssumptions.nativePlatform(base);
  }

  @Test
  void isNative() {
    assertFalse(tree.isEmulated());
    assertFalse(Files.exists(sidecar), "a native tree keeps no records");
  }

  @Test
  void writeFileTakesTheDirectlyBoundCallsOn64BitLinux() throws IOException {
    // where they could not be bound, writeFile would quietly take the slower portable way
    assertTrue(FileCalls.AVAILABLE, "libc's open, write, futimens, close bound directly");
    assertTrue(
        LinuxCalls.writeNewFile(
            root.resolve("direct"),
            new byte[] {1, 2, 3},
            java.nio.file.attribute.FileTime.fromMillis(1000)));
    assertEquals(3, Files.size(root.resolve("direct")));
  }

  @Test
  void nodesAreRealKernelObjects() throws IOException {
    Path wh = root.resolve("wh");
    tree.makeNode(wh, NodeKind.CHAR_DEVICE, 0, 0, 0);
    tree.makeNode(root.resolve("null"), NodeKind.CHAR_DEVICE, 0666, 1, 3);
    Path f = file("f", "x");
    tree.setXattr(f, "user.x", new byte[] {'v'});
    tree.setOwner(f, 1234, 5678);

    assertEquals(0020000, (int) Files.getAttribute(wh, "unix:mode", LinkOption.NOFOLLOW_LINKS));
    assertEquals(0L, (long) Files.getAttribute(wh, "unix:rdev", LinkOption.NOFOLLOW_LINKS));
    assertEquals(0x103L, (long) Files.getAttribute(root.resolve("null"), "unix:rdev"));
    assertEquals(1234, (int) Files.getAttribute(f, "unix:uid"));
    UserDefinedFileAttributeView user =
        Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
    ByteBuffer buf = ByteBuffer.allocate(8);
    assertEquals(1, user.read("x", buf));
    assertEquals('v', buf.get(0));
  }

  @Test
  void symlinkMtimeKeepsNanoseconds() throws IOException {
    Path l = Files.createSymbolicLink(root.resolve("l"), root.resolve("nowhere"));
    FileTime t = FileTime.from(Instant.parse("2020-05-06T07:08:09.123456789Z"));
    tree.setMtime(l, t);
    assertEquals(t, tree.stat(l).mtime());
  }

  @Test
  void errorsNameThePathAndTheErrno() throws IOException {
    Path f = file("f", "x");
    FileAlreadyExistsException e =
        assertThrows(
            FileAlreadyExistsException.class,
            () -> tree.makeNode(f, NodeKind.CHAR_DEVICE, 0, 0, 0));
    assertEquals(f + ": mknod: File exists", e.getMessage());
    NoSuchFileException n =
        assertThrows(
            NoSuchFileException.class,
            () -> tree.setXattr(root.resolve("nope"), "user.x", new byte[1]));
    assertTrue(
        n.getMessage().startsWith(root.resolve("nope") + ": setxattr user.x: "), n.getMessage());
  }
}

package io.layerstore.platform;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real overlay and bind mounts through {@link LinuxKernelMounts}; root on Linux only. */
class LinuxKernelMountsTest {
  @TempDir Path tmp;

  KernelMounts mounts;
  Tree tree;
  final List<Path> mounted = new ArrayList<>();

  @BeforeEach
  void setUp() {
    mounts = PlatformAssumptions.kernelMounts(tmp, "overlay");
    assertTrue(mounts instanceof LinuxKernelMounts);
    tree = Platform.forRoot(tmp).tree(tmp, null);
  }

  @AfterEach
  void unmountLeftovers() throws IOException {
    for (Path p : mounted) {
      if (mounts.isMountPoint(p)) {
        mounts.unmount(p, KernelMounts.MNT_DETACH);
      }
    }
  }

  @Test
  void mountsAnOverlayReadsThroughItAndUnmounts() throws IOException {
    Path top = dir("lower top");
    Path bottom = dir("lower-bottom");
    Path upper = dir("upper");
    Path work = dir("work");
    Path merged = dir("merged dir ü"); // the kernel escapes the space in mountinfo
    write(bottom.resolve("a.txt"), "from bottom");
    write(bottom.resolve("b.txt"), "b");
    write(bottom.resolve("gone.txt"), "gone");
    write(bottom.resolve("opq/hidden.txt"), "hidden");
    write(top.resolve("a.txt"), "from top");
    write(top.resolve("opq/shown.txt"), "shown");
    tree.makeNode(top.resolve("gone.txt"), NodeKind.CHAR_DEVICE, 0, 0, 0);
    tree.setXattr(top.resolve("opq"), "trusted.overlay.opaque", new byte[] {'y'});

    String data = "lowerdir=" + top + ":" + bottom + ",upperdir=" + upper + ",workdir=" + work;
    mounts.mount("overlay", merged, "overlay", 0, data);
    mounted.add(merged);

    assertTrue(mounts.isMountPoint(merged));
    assertEquals("overlay", mounts.mountType(merged));
    assertFalse(mounts.isMountPoint(top));
    assertNull(mounts.mountType(top));
    assertNull(mounts.mountType(tmp.resolve("does not exist")));

    assertEquals("from top", Files.readString(merged.resolve("a.txt")));
    assertEquals("b", Files.readString(merged.resolve("b.txt")));
    assertFalse(Files.exists(merged.resolve("gone.txt")), "whited out by char 0:0");
    assertEquals(List.of("shown.txt"), TreeContract.list(merged.resolve("opq")), "opaque dir");

    write(merged.resolve("new.txt"), "new");
    Files.delete(merged.resolve("b.txt"));
    assertEquals("new", Files.readString(upper.resolve("new.txt")));
    assertTrue(tree.stat(upper.resolve("b.txt")).isOverlayWhiteout(), "the kernel's whiteout");

    mounts.unmount(merged, 0);
    assertFalse(mounts.isMountPoint(merged));
    assertNull(mounts.mountType(merged));
    assertEquals(List.of(), TreeContract.list(merged));
  }

  @Test
  void bindMountsAndStacking() throws IOException {
    Path src = dir("src");
    write(src.resolve("f"), "f");
    Path target = dir("target");
    mounts.mount(src.toString(), target, null, KernelMounts.MS_BIND, null);
    mounted.add(target);
    assertTrue(mounts.isMountPoint(target));
    assertEquals("f", Files.readString(target.resolve("f")));
    String underneath = mounts.mountType(target);

    Path lower = dir("lower");
    write(lower.resolve("g"), "g");
    Path lower2 = dir("lower2");
    // Without an upper dir overlay wants two lower dirs.
    mounts.mount(
        "overlay", target, "overlay", KernelMounts.MS_RDONLY, "lowerdir=" + lower + ":" + lower2);
    assertEquals("overlay", mounts.mountType(target), "the top mount counts");
    assertEquals("g", Files.readString(target.resolve("g")));
    mounts.unmount(target, 0);
    assertEquals(underneath, mounts.mountType(target));
    mounts.unmount(target, KernelMounts.MNT_DETACH);
    assertFalse(mounts.isMountPoint(target));
  }

  @Test
  void failuresNameTargetTypeDataAndErrno() throws IOException {
    Path merged = dir("merged");
    String data = "lowerdir=" + tmp.resolve("no-such-lower");
    FileSystemException e =
        assertThrows(
            FileSystemException.class, () -> mounts.mount("overlay", merged, "overlay", 0, data));
    String msg = e.getMessage();
    assertTrue(msg.startsWith(merged + ": mount -t overlay overlay (flags 0x0"), msg);
    assertTrue(msg.contains("data \"" + data + "\""), msg);
    assertTrue(msg.endsWith("): " + LinuxCalls.strerror(LinuxCalls.ENOENT)), msg);
    assertFalse(mounts.isMountPoint(merged));

    FileSystemException u =
        assertThrows(FileSystemException.class, () -> mounts.unmount(merged, 0));
    assertTrue(u.getMessage().startsWith(merged + ": umount2: "), u.getMessage());
  }

  @Test
  void refusesDataLongerThanAPage() throws IOException {
    Path merged = dir("merged");
    String data = "lowerdir=/" + "x".repeat(mounts.pageSize());
    FileSystemException e =
        assertThrows(
            FileSystemException.class, () -> mounts.mount("overlay", merged, "overlay", 0, data));
    String msg = e.getMessage();
    assertTrue(msg.contains((data.length()) + " bytes"), msg);
    assertTrue(msg.contains("at most " + (mounts.pageSize() - 1)), msg);
    assertTrue(msg.contains("more chars]"), "long data is shortened: " + msg);
    assertTrue(msg.length() < 1000, msg);
    assertFalse(mounts.isMountPoint(merged));
  }

  @Test
  void knowsFileSystemsAndPageSize() {
    assertTrue(mounts.supportsFileSystem("overlay"));
    assertFalse(mounts.supportsFileSystem("no-such-fs"));
    assertFalse(mounts.supportsFileSystem("overla"));
    assertEquals(LinuxCalls.pageSize(), mounts.pageSize());
  }

  private Path dir(String name) throws IOException {
    return Files.createDirectories(tmp.resolve(name));
  }

  private static void write(Path p, String s) throws IOException {
    Files.createDirectories(p.getParent());
    Files.write(p, s.getBytes(UTF_8));
  }
}

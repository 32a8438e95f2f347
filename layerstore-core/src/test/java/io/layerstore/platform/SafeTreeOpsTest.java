package io.layerstore.platform;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SafeTreeOps} both ways: with secure directory streams (what the trees use on the default
 * provider and jimfs, covered by the tree contract too) and with the lstat-checked walk kept for
 * file systems without them.
 */
class SafeTreeOpsTest {
  @TempDir Path tmp;

  @Test
  void checkedWalkOnDisk() throws IOException {
    exercise(tmp, false);
  }

  @Test
  void secureStreamsOnDisk() throws IOException {
    exercise(tmp, true);
  }

  @Test
  void checkedWalkOnJimfs() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      exercise(Files.createDirectories(fs.getPath("/w")), false);
    }
  }

  @Test
  void secureStreamsOnJimfs() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      exercise(Files.createDirectories(fs.getPath("/w")), true);
    }
  }

  private static void exercise(Path base, boolean secure) throws IOException {
    Path root = Files.createDirectory(base.resolve("tree"));
    Path outside = Files.createDirectory(base.resolve("outside"));
    Path canary = Files.write(outside.resolve("canary"), "alive".getBytes(UTF_8));
    SafeTreeOps ops = new SafeTreeOps(new TreePaths(root), secure);

    Path d = Files.createDirectories(root.resolve("d/e"));
    Files.createSymbolicLink(d.resolve("escape"), outside);
    Files.createSymbolicLink(root.resolve("link"), outside);
    Files.write(d.resolve("f"), new byte[] {1});
    Files.createLink(d.resolve("g"), d.resolve("f"));

    assertThrows(FileSystemException.class, () -> ops.delete(root.resolve("link/canary")));
    assertThrows(FileSystemException.class, () -> ops.move(d.resolve("f"), root.resolve("link/f")));
    assertThrows(
        FileSystemException.class, () -> ops.move(root.resolve("link/canary"), root.resolve("c")));

    ops.move(d.resolve("f"), root.resolve("moved"));
    assertTrue(Files.isRegularFile(root.resolve("moved")));

    List<Object> removedKeys = new ArrayList<>();
    ops.delete(root.resolve("d"), attrs -> removedKeys.add(attrs.fileKey()));
    assertFalse(Files.exists(root.resolve("d"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(2, removedKeys.size(), "escape and g: " + removedKeys);
    assertEquals("alive", Files.readString(canary));

    ops.delete(root.resolve("link"));
    assertTrue(Files.isDirectory(outside));
    assertEquals("alive", Files.readString(canary));

    ops.delete(root);
    assertFalse(Files.exists(root, LinkOption.NOFOLLOW_LINKS));
    assertEquals("alive", Files.readString(canary));
  }

  @Test
  void readOnlyDirectoriesAsAnUnprivilegedUser() throws Exception {
    // Root ignores directory permissions, so the chmod-and-retry path only runs as another user.
    NonRootRunner runner = NonRootRunner.create(tmp);
    Path root = Files.createDirectory(runner.workDir().resolve("tree"));
    Path ro = Files.createDirectories(root.resolve("ro/closed"));
    Files.write(ro.resolve("f"), new byte[] {1});
    Files.write(root.resolve("ro/g"), new byte[] {1});
    runner.chownToRunner(root);
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("---------"));
    Files.setPosixFilePermissions(root.resolve("ro"), PosixFilePermissions.fromString("r-x------"));

    for (boolean secure : new boolean[] {true, false}) {
      runner.run(SafeDeleteChild.class, root.toString(), "ro", Boolean.toString(secure));
      assertFalse(Files.exists(root.resolve("ro"), LinkOption.NOFOLLOW_LINKS), "secure=" + secure);
      Files.createDirectories(ro);
      Files.write(ro.resolve("f"), new byte[] {1});
      runner.chownToRunner(root);
      Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("--x------"));
    }
  }
}

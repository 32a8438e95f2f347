package io.layerstore.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * The changes issue 4 makes in a container of fx:multi, twice: as a shell command for {@code docker
 * run} (the oracle), and as NIO calls on a mounted container (a kernel mount or the in-process
 * union). Both leave the same file system: new files 0644 and directories 0755 (the shell's umask
 * 022), owned by root.
 */
public final class ContainerSteps {

  private ContainerSteps() {}

  /** What {@code docker run IMAGE /bin/sh -c SHELL} does. */
  public static final String SHELL =
      "echo new > /newfile && echo changed2 > /etc/conf.d/b.conf"
          + " && rm /etc/os-release && rm -rf /usr/share && mkdir -p /usr/share && echo x > /usr/share/x"
          + " && chmod 700 /bin/busybox";

  /**
   * A command whose output shows the steps' effects, for {@code docker run} on a committed image.
   */
  public static final String CHECK =
      "cat /newfile /etc/conf.d/b.conf; ls -A /usr/share;"
          + " test -e /etc/os-release || echo os-release gone; stat -c '%a %s' /bin/busybox";

  /**
   * The same steps through NIO on a mounted container's root. Permissions are set explicitly, since
   * NIO does not apply the shell's umask.
   *
   * @param root the root of a writable mount of a container of fx:multi
   * @throws IOException if a step fails (for instance, the mount is read-only, or not of fx:multi)
   */
  public static void run(Path root) throws IOException {
    Files.writeString(root.resolve("newfile"), "new\n");
    Files.setPosixFilePermissions(
        root.resolve("newfile"), PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(root.resolve("etc/conf.d/b.conf"), "changed2\n");
    Files.delete(root.resolve("etc/os-release"));
    Path share = root.resolve("usr/share");
    try (Stream<Path> walk = Files.walk(share)) {
      for (Path p :
          (Iterable<Path>) walk.sorted((x, y) -> y.getNameCount() - x.getNameCount())::iterator) {
        Files.delete(p);
      }
    }
    Files.createDirectory(share);
    Files.setPosixFilePermissions(share, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(share.resolve("x"), "x\n");
    Files.setPosixFilePermissions(share.resolve("x"), PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(
        root.resolve("bin/busybox"), PosixFilePermissions.fromString("rwx------"));
  }
}

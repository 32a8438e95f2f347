package io.layerstore.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * File operations through a mount root, written once for both kinds of mount: a kernel mount on the
 * default file system and the in-process union. Everything goes through NIO's {@code unix} view,
 * never follows a symlink at the node itself, and never writes through an absolute symlink.
 */
public final class Nodes {

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private Nodes() {}

  /**
   * Names in {@code dir}, sorted.
   *
   * @param dir the directory
   * @return its entries' names (not {@code .} and {@code ..}), in natural order
   * @throws IOException if it cannot be listed
   */
  public static TreeSet<String> names(Path dir) throws IOException {
    TreeSet<String> out = new TreeSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        out.add(p.getFileName().toString());
      }
    }
    return out;
  }

  /**
   * Every {@code unix:} attribute of {@code p} itself (a symlink is not followed).
   *
   * @param p the node
   * @return the attributes by name, as NIO's {@code unix} view gives them
   * @throws IOException if the node does not exist or the file system has no {@code unix} view
   */
  public static Map<String, Object> attrs(Path p) throws IOException {
    return Files.readAttributes(p, "unix:*", NOFOLLOW);
  }

  /**
   * Permission bits with setuid/setgid/sticky.
   *
   * @param p the node, not followed if a symlink
   * @return {@code mode & 07777}
   * @throws IOException if its attributes cannot be read
   */
  public static int mode(Path p) throws IOException {
    return (Integer) attrs(p).get("mode") & 07777;
  }

  /**
   * {@code dir}, {@code file}, {@code symlink}, {@code char}, {@code block}, {@code fifo} or {@code
   * socket}; {@code other} for what none of them is, and on jimfs (whose mode has no type bits) for
   * anything but a directory, file or symlink.
   *
   * @param p the node, not followed if a symlink
   * @return the node's type
   * @throws IOException if its attributes cannot be read
   */
  public static String type(Path p) throws IOException {
    Map<String, Object> a = attrs(p);
    int m = (Integer) a.get("mode");
    if ((m & 0170000) == 0) {
      // jimfs's unix view leaves the type bits out of its mode
      if (Boolean.TRUE.equals(a.get("isDirectory"))) {
        return "dir";
      }
      if (Boolean.TRUE.equals(a.get("isRegularFile"))) {
        return "file";
      }
      if (Boolean.TRUE.equals(a.get("isSymbolicLink"))) {
        return "symlink";
      }
      return "other";
    }
    switch (m & 0170000) {
      case 0040000:
        return "dir";
      case 0100000:
        return "file";
      case 0120000:
        return "symlink";
      case 0020000:
        return "char";
      case 0060000:
        return "block";
      case 0010000:
        return "fifo";
      case 0140000:
        return "socket";
      default:
        return "other";
    }
  }

  /**
   * The node's owner.
   *
   * @param p the node, not followed if a symlink
   * @return its uid
   * @throws IOException if its attributes cannot be read
   */
  public static int uid(Path p) throws IOException {
    return (Integer) attrs(p).get("uid");
  }

  /**
   * The node's group.
   *
   * @param p the node, not followed if a symlink
   * @return its gid
   * @throws IOException if its attributes cannot be read
   */
  public static int gid(Path p) throws IOException {
    return (Integer) attrs(p).get("gid");
  }

  /**
   * The node's modification time, in whole seconds (what tar keeps).
   *
   * @param p the node, not followed if a symlink
   * @return seconds since the epoch, rounded down
   * @throws IOException if its attributes cannot be read
   */
  public static long mtimeSeconds(Path p) throws IOException {
    return ((FileTime) attrs(p).get("lastModifiedTime")).toInstant().getEpochSecond();
  }

  /**
   * "major:minor" of a device node, decoded from the Linux {@code dev_t}.
   *
   * @param p the device node, not followed if a symlink
   * @return the numbers in decimal, such as {@code "1:3"}
   * @throws IOException if its attributes cannot be read
   */
  public static String device(Path p) throws IOException {
    long rdev = (Long) attrs(p).get("rdev");
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    return major + ":" + minor;
  }

  /**
   * Whether {@code p} exists, a dangling symlink included.
   *
   * @param p the path
   * @return whether there is a node at {@code p} itself
   */
  public static boolean exists(Path p) {
    return Files.exists(p, NOFOLLOW);
  }

  /**
   * A file's content as UTF-8. Unlike most methods here, this follows a symlink at {@code p}.
   *
   * @param p the file
   * @return its content
   * @throws IOException if it cannot be read
   */
  public static String read(Path p) throws IOException {
    return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
  }

  /**
   * Writes (creating or truncating) a regular file and sets its mode. The write follows a symlink
   * at {@code p} (the mode change does not): do not aim it at a symlink.
   *
   * @param p the file
   * @param content its new content
   * @param mode the permission bits to set, with setuid/setgid/sticky
   * @throws IOException if it cannot be written
   */
  public static void write(Path p, byte[] content, int mode) throws IOException {
    Files.write(p, content);
    chmod(p, mode);
  }

  /**
   * Like {@link #write(Path, byte[], int)}, with {@code content} written as UTF-8.
   *
   * @param p the file
   * @param content its new content
   * @param mode the permission bits to set, with setuid/setgid/sticky
   * @throws IOException if it cannot be written
   */
  public static void write(Path p, String content, int mode) throws IOException {
    write(p, content.getBytes(StandardCharsets.UTF_8), mode);
  }

  /**
   * Creates a directory and sets its mode (which the umask cannot change then).
   *
   * @param p the new directory; its parent must exist
   * @param mode the permission bits to set, with setuid/setgid/sticky
   * @throws IOException if it exists already or cannot be created
   */
  public static void mkdir(Path p, int mode) throws IOException {
    Files.createDirectory(p);
    chmod(p, mode);
  }

  /**
   * chmod with setuid/setgid/sticky, of {@code p} itself.
   *
   * @param p the node, not followed if a symlink
   * @param mode the permission bits, {@code 07777} at most
   * @throws IOException if the mode cannot be set
   */
  public static void chmod(Path p, int mode) throws IOException {
    Files.setAttribute(p, "unix:mode", mode, NOFOLLOW);
  }

  /**
   * lchown: the owner and group of {@code p} itself.
   *
   * @param p the node, not followed if a symlink
   * @param uid the new owner
   * @param gid the new group
   * @throws IOException if they cannot be set (not root, on a real disk)
   */
  public static void chown(Path p, int uid, int gid) throws IOException {
    Files.setAttribute(p, "unix:uid", uid, NOFOLLOW);
    Files.setAttribute(p, "unix:gid", gid, NOFOLLOW);
  }

  /**
   * Sets the modification time of {@code p} itself.
   *
   * @param p the node, not followed if a symlink
   * @param seconds seconds since the epoch
   * @throws IOException if it cannot be set
   */
  public static void setMtime(Path p, long seconds) throws IOException {
    Files.setAttribute(p, "basic:lastModifiedTime", FileTime.fromMillis(seconds * 1000), NOFOLLOW);
  }

  /**
   * Sets {@code user.<name>}.
   *
   * @param p the node, not followed if a symlink
   * @param name the attribute's name without the {@code user.} prefix
   * @param value its value
   * @throws IOException if it cannot be set (the file system has no user xattrs)
   */
  public static void setUserXattr(Path p, String name, byte[] value) throws IOException {
    Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, NOFOLLOW)
        .write(name, ByteBuffer.wrap(value));
  }

  /**
   * {@code user.<name>}, or null.
   *
   * @param p the node, not followed if a symlink
   * @param name the attribute's name without the {@code user.} prefix
   * @return its value, or {@code null} when {@code p} has no such attribute
   * @throws IOException if the attributes cannot be read
   */
  public static byte[] userXattr(Path p, String name) throws IOException {
    UserDefinedFileAttributeView v =
        Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, NOFOLLOW);
    if (!v.list().contains(name)) {
      return null;
    }
    ByteBuffer b = ByteBuffer.allocate(v.size(name));
    v.read(name, b);
    return java.util.Arrays.copyOf(b.array(), b.position());
  }

  /**
   * Deletes {@code p} and everything below it, never following a symlink.
   *
   * @param p the node or tree to delete
   * @throws IOException if something cannot be deleted (what was deleted before stays deleted)
   */
  public static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p, NOFOLLOW)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
        for (Path c : ds) {
          deleteTree(c);
        }
      }
    }
    Files.delete(p);
  }

  /**
   * {@code n} pseudo-random bytes, the same for the same seed (file content that does not compress
   * and is the same on every run).
   *
   * @param n how many bytes
   * @param seed the seed of the {@link Random}
   * @return the bytes
   */
  public static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}

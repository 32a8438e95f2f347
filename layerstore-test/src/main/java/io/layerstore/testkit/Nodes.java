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

  /** Names in {@code dir}, sorted. */
  public static TreeSet<String> names(Path dir) throws IOException {
    TreeSet<String> out = new TreeSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        out.add(p.getFileName().toString());
      }
    }
    return out;
  }

  public static Map<String, Object> attrs(Path p) throws IOException {
    return Files.readAttributes(p, "unix:*", NOFOLLOW);
  }

  /** Permission bits with setuid/setgid/sticky. */
  public static int mode(Path p) throws IOException {
    return (Integer) attrs(p).get("mode") & 07777;
  }

  /**
   * {@code dir}, {@code file}, {@code symlink}, {@code char}, {@code block}, {@code fifo} or {@code
   * socket}.
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

  public static int uid(Path p) throws IOException {
    return (Integer) attrs(p).get("uid");
  }

  public static int gid(Path p) throws IOException {
    return (Integer) attrs(p).get("gid");
  }

  public static long mtimeSeconds(Path p) throws IOException {
    return ((FileTime) attrs(p).get("lastModifiedTime")).toInstant().getEpochSecond();
  }

  /** "major:minor" of a device node, decoded from the Linux {@code dev_t}. */
  public static String device(Path p) throws IOException {
    long rdev = (Long) attrs(p).get("rdev");
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    return major + ":" + minor;
  }

  public static boolean exists(Path p) {
    return Files.exists(p, NOFOLLOW);
  }

  public static String read(Path p) throws IOException {
    return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
  }

  /** Writes (creating or truncating) a regular file and sets its mode. */
  public static void write(Path p, byte[] content, int mode) throws IOException {
    Files.write(p, content);
    chmod(p, mode);
  }

  public static void write(Path p, String content, int mode) throws IOException {
    write(p, content.getBytes(StandardCharsets.UTF_8), mode);
  }

  public static void mkdir(Path p, int mode) throws IOException {
    Files.createDirectory(p);
    chmod(p, mode);
  }

  /** chmod with setuid/setgid/sticky. */
  public static void chmod(Path p, int mode) throws IOException {
    Files.setAttribute(p, "unix:mode", mode, NOFOLLOW);
  }

  /** lchown. */
  public static void chown(Path p, int uid, int gid) throws IOException {
    Files.setAttribute(p, "unix:uid", uid, NOFOLLOW);
    Files.setAttribute(p, "unix:gid", gid, NOFOLLOW);
  }

  public static void setMtime(Path p, long seconds) throws IOException {
    Files.setAttribute(p, "basic:lastModifiedTime", FileTime.fromMillis(seconds * 1000), NOFOLLOW);
  }

  /** Sets {@code user.<name>}. */
  public static void setUserXattr(Path p, String name, byte[] value) throws IOException {
    Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, NOFOLLOW)
        .write(name, ByteBuffer.wrap(value));
  }

  /** {@code user.<name>}, or null. */
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

  /** Deletes {@code p} and everything below it, never following a symlink. */
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

  /** {@code n} pseudo-random bytes, the same for the same seed. */
  public static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}

package io.layerstore.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A full listing of a directory tree — every node's type, permissions, owner, size, content hash,
 * symlink target, user xattrs, and (optionally) times — for "nothing changed" assertions: the store
 * after a refused input, the canary directory outside the store after anything.
 */
final class TreeSnapshot {

  private TreeSnapshot() {}

  /** Store listing: lock files and the lock directory left out, directory times left out. */
  static Map<String, String> store(Path root) throws IOException {
    return of(root, rel -> rel.endsWith(".lock") || rel.equals("layerstore/locks"), false);
  }

  /** Everything, directory times included. */
  static Map<String, String> all(Path root) throws IOException {
    return of(root, rel -> false, true);
  }

  static Map<String, String> of(Path root, Predicate<String> skip, boolean dirTimes)
      throws IOException {
    Map<String, String> out = new TreeMap<>();
    walk(root, root, skip, dirTimes, out);
    return out;
  }

  private static void walk(
      Path root, Path dir, Predicate<String> skip, boolean dirTimes, Map<String, String> out)
      throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(children::add);
    }
    for (Path p : children) {
      String rel = root.relativize(p).toString();
      if (skip.test(rel)) {
        continue;
      }
      BasicFileAttributes a =
          Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      StringBuilder sb = new StringBuilder();
      PosixFileAttributes px = null;
      try {
        px = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (UnsupportedOperationException e) {
        // no posix view
      }
      if (a.isSymbolicLink()) {
        sb.append("l -> ").append(Files.readSymbolicLink(p));
      } else if (a.isDirectory()) {
        sb.append('d');
      } else if (a.isRegularFile()) {
        sb.append("f ").append(a.size()).append(' ').append(sha256(p));
      } else {
        sb.append('o');
      }
      if (px != null && !a.isSymbolicLink()) {
        sb.append(' ')
            .append(PosixFilePermissions.toString(px.permissions()))
            .append(' ')
            .append(px.owner().getName())
            .append(':')
            .append(px.group().getName());
      }
      if (!a.isSymbolicLink()) {
        try {
          Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
          sb.append(" mode=").append(Integer.toOctalString((Integer) mode));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
          // no unix view
        }
      }
      if (!a.isDirectory() || dirTimes) {
        sb.append(" mtime=").append(a.lastModifiedTime());
      }
      if (a.isRegularFile() || a.isDirectory()) {
        sb.append(xattrs(p)); // never for a fifo: listing xattrs opens the node, which would block
      }
      out.put(rel, sb.toString());
      if (a.isDirectory()) {
        walk(root, p, skip, dirTimes, out);
      }
    }
  }

  private static String xattrs(Path p) throws IOException {
    UserDefinedFileAttributeView v =
        Files.getFileAttributeView(
            p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (v == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    try {
      for (String n : new java.util.TreeSet<>(v.list())) {
        ByteBuffer b = ByteBuffer.allocate(v.size(n));
        v.read(n, b);
        sb.append(" user.").append(n).append('=').append(HexFormat.of().formatHex(b.array()));
      }
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
    return sb.toString();
  }

  private static String sha256(Path p) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
      byte[] buf = new byte[64 << 10];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}

package io.layerstore.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The same listing as {@code fixtures/rootfs-manifest.py}, made through NIO so it works on any file
 * system that offers the {@code unix} attribute view — a kernel mount on the default file system,
 * or the in-process union view over jimfs. One line per entry below the root, sorted: {@code path
 * type mode uid gid size content xattrs [mtime]}, TAB-separated.
 */
public final class RootfsManifest {

  private RootfsManifest() {}

  /**
   * Lists {@code root}; with or without the mtime column. Symlinks are listed, never followed.
   *
   * @param root the root of the tree (a mount root), itself not listed
   * @param withMtime whether to add the mtime column (whole seconds)
   * @return one line per node below the root, sorted by code point as the script sorts
   * @throws IOException if a node cannot be read
   */
  public static List<String> of(Path root, boolean withMtime) throws IOException {
    List<String> lines = new ArrayList<>();
    walk(root, root, withMtime, lines);
    lines.sort(RootfsManifest::compareCodePoints);
    return lines;
  }

  /**
   * Reads a manifest file, optionally dropping the mtime column.
   *
   * @param file a manifest written by {@code rootfs-manifest.py} or {@link #of}
   * @param withMtime {@code false} to drop the last column of lines that have it (nine columns)
   * @return the lines, in file order
   * @throws IOException if the file cannot be read
   */
  public static List<String> read(Path file, boolean withMtime) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!withMtime) {
        int tab = line.lastIndexOf('\t');
        String[] f = line.split("\t", -1);
        if (f.length == 9) {
          line = line.substring(0, tab);
        }
      }
      out.add(line);
    }
    return out;
  }

  private static void walk(Path root, Path dir, boolean withMtime, List<String> out)
      throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(children::add);
    }
    for (Path p : children) {
      out.add(describe(root, p, withMtime));
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        walk(root, p, withMtime, out);
      }
    }
  }

  static String describe(Path root, Path p, boolean withMtime) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    String type;
    String content = "-";
    long size = 0;
    switch (mode & 0170000) {
      case 0040000:
        type = "dir";
        break;
      case 0100000:
        type = "file";
        size = (Long) a.get("size");
        content = sha256(p);
        break;
      case 0120000:
        type = "symlink";
        content = escape(Files.readSymbolicLink(p).toString());
        break;
      case 0020000:
        type = "char";
        content = device((Long) a.get("rdev"));
        break;
      case 0060000:
        type = "block";
        content = device((Long) a.get("rdev"));
        break;
      case 0010000:
        type = "fifo";
        break;
      case 0140000:
        type = "socket";
        break;
      default:
        type = "other";
    }
    String xattrs = "-";
    // NIO opens the node to list xattrs: never do that to a fifo (it blocks) or a device.
    if (type.equals("dir") || type.equals("file")) {
      xattrs = xattrs(p);
    }
    String rel = root.relativize(p).toString();
    StringBuilder sb = new StringBuilder();
    sb.append('/')
        .append(escape(rel))
        .append('\t')
        .append(type)
        .append('\t')
        .append(String.format("%04o", mode & 07777))
        .append('\t')
        .append(a.get("uid"))
        .append('\t')
        .append(a.get("gid"))
        .append('\t')
        .append(size)
        .append('\t')
        .append(content)
        .append('\t')
        .append(xattrs);
    if (withMtime) {
      FileTime t = (FileTime) a.get("lastModifiedTime");
      sb.append('\t').append(Math.floorDiv(t.toMillis(), 1000L));
    }
    return sb.toString();
  }

  private static String xattrs(Path p) throws IOException {
    UserDefinedFileAttributeView v =
        Files.getFileAttributeView(
            p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (v == null) {
      return "-";
    }
    List<String> names;
    try {
      names = new ArrayList<>(v.list());
    } catch (UnsupportedOperationException | IOException e) {
      return "-";
    }
    names.sort(RootfsManifest::compareCodePoints);
    List<String> parts = new ArrayList<>();
    for (String n : names) {
      ByteBuffer buf = ByteBuffer.allocate(v.size(n));
      v.read(n, buf);
      parts.add("user." + n + "=" + HexFormat.of().formatHex(buf.array(), 0, buf.position()));
    }
    return parts.isEmpty() ? "-" : String.join(",", parts);
  }

  private static String device(long rdev) {
    // Linux encoding of dev_t
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    return major + ":" + minor;
  }

  private static String sha256(Path p) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
  }

  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}

package io.layerstore.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;

/**
 * What some file system says about one node, lstat-style, with whatever views it has: the {@code
 * unix} view (default provider; jimfs when configured with it) adds link counts and the type and
 * device of special files, the {@code posix} view adds permission bits. An emulated tree merges its
 * records over this.
 *
 * @param kind as the file system sees it (a placeholder is {@link NodeKind#REGULAR})
 * @param perms permission bits {@code 0777} the file system holds, or -1 if it holds none
 * @param nlink hardlink count, or -1 if the file system does not say
 * @param rdev device number of a real device node (unix view only), else 0
 */
record FsNode(
    NodeKind kind, int perms, long size, FileTime mtime, Object fileKey, int nlink, long rdev) {

  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  private static final String UNIX_ATTRS =
      "unix:mode,nlink,rdev,size,lastModifiedTime,fileKey,"
          + "isDirectory,isRegularFile,isSymbolicLink,isOther";

  /** Which attribute views a file system offers; asked once per tree. */
  record Views(boolean unix, boolean posix) {
    static Views of(Path root) {
      Set<String> views = root.getFileSystem().supportedFileAttributeViews();
      return new Views(views.contains("unix"), views.contains("posix"));
    }
  }

  static FsNode read(Path p, Views views) throws IOException {
    if (views.unix()) {
      Map<String, Object> a = Files.readAttributes(p, UNIX_ATTRS, NOFOLLOW);
      int mode = (Integer) a.get("mode");
      NodeKind kind = kind(a, mode);
      return new FsNode(
          kind,
          views.posix() ? mode & 0777 : -1,
          (Long) a.get("size"),
          (FileTime) a.get("lastModifiedTime"),
          a.get("fileKey"),
          (Integer) a.get("nlink"),
          kind.isDevice() ? (Long) a.get("rdev") : 0);
    }
    if (views.posix()) {
      PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW);
      return new FsNode(
          basicKind(a), bits(a.permissions()), a.size(), a.lastModifiedTime(), a.fileKey(), -1, 0);
    }
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
    return new FsNode(basicKind(a), -1, a.size(), a.lastModifiedTime(), a.fileKey(), -1, 0);
  }

  /** Whether this is a real fifo, device or socket, which NIO must not open. */
  boolean isSpecial() {
    return kind != NodeKind.DIRECTORY && kind != NodeKind.REGULAR && kind != NodeKind.SYMLINK;
  }

  /** Target length in bytes for a symlink (jimfs reports 0 for their size). */
  long symlinkSize(Path p) throws IOException {
    if (size > 0) {
      return size;
    }
    return Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8).length;
  }

  static int bits(Set<PosixFilePermission> perms) {
    int m = 0;
    for (PosixFilePermission p : perms) {
      m |= 0400 >> p.ordinal();
    }
    return m;
  }

  private static NodeKind kind(Map<String, Object> a, int mode) {
    if ((Boolean) a.get("isSymbolicLink")) {
      return NodeKind.SYMLINK;
    }
    if ((Boolean) a.get("isDirectory")) {
      return NodeKind.DIRECTORY;
    }
    if ((Boolean) a.get("isRegularFile")) {
      return NodeKind.REGULAR;
    }
    NodeKind k = NodeKind.fromMode(mode);
    return k != null ? k : NodeKind.REGULAR;
  }

  private static NodeKind basicKind(BasicFileAttributes a) {
    if (a.isSymbolicLink()) {
      return NodeKind.SYMLINK;
    }
    if (a.isDirectory()) {
      return NodeKind.DIRECTORY;
    }
    return NodeKind.REGULAR;
  }
}

package io.layerstore.platform;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A {@link Tree} whose metadata lives in the Linux kernel; nothing is recorded on the side.
 *
 * <p>NIO does what it can do without following a symlink and without opening the node: lstat
 * ({@code unix:*} attributes, numeric ids, {@code rdev}, link count, nanosecond mtime) and lchown
 * ({@code unix:uid}/{@code unix:gid}). Its {@code unix:mode} setter opens the node (O_NOFOLLOW) and
 * fchmods it: right for files and directories, but opening a fifo blocks until a writer comes and
 * opening a device talks to its driver, so fifos and devices are chmodded through {@code
 * fchmodat(AT_SYMLINK_NOFOLLOW)}. Times always go through {@code utimensat(AT_SYMLINK_NOFOLLOW)}:
 * NIO's setter opens the node too, and for symlinks falls back to {@code lutimes}, which drops
 * nanoseconds. mknod and the {@code l*xattr} calls have no NIO form at all. See {@link LinuxCalls}.
 *
 * <p>Stateless, so safe for any number of threads.
 */
final class NativeTree implements Tree {
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  private static final String STAT_ATTRS =
      "unix:mode,uid,gid,size,rdev,nlink,lastModifiedTime,fileKey";

  private final TreePaths paths;
  private final SafeTreeOps ops;

  NativeTree(Path root) {
    if (root.getFileSystem() != FileSystems.getDefault()) {
      throw new IllegalArgumentException(root + " is not on the default file system");
    }
    this.paths = new TreePaths(root);
    this.ops = new SafeTreeOps(paths);
  }

  @Override
  public Path root() {
    return paths.root();
  }

  @Override
  public boolean isEmulated() {
    return false;
  }

  @Override
  public NodeStat stat(Path path) throws IOException {
    Path p = paths.inside(path);
    Map<String, Object> a = Files.readAttributes(p, STAT_ATTRS, NOFOLLOW);
    int mode = (Integer) a.get("mode");
    NodeKind kind = NodeKind.fromMode(mode);
    if (kind == null) {
      throw new FileSystemException(
          p.toString(), null, "unknown file type " + Integer.toOctalString(mode));
    }
    long rdev = kind.isDevice() ? (Long) a.get("rdev") : 0;
    return new NodeStat(
        kind,
        mode & 07777,
        ((Integer) a.get("uid")) & 0xffffffffL,
        ((Integer) a.get("gid")) & 0xffffffffL,
        kind == NodeKind.REGULAR || kind == NodeKind.SYMLINK ? (Long) a.get("size") : 0,
        DevNumbers.major(rdev),
        DevNumbers.minor(rdev),
        (FileTime) a.get("lastModifiedTime"),
        a.get("fileKey"),
        (Integer) a.get("nlink"));
  }

  @Override
  public NodeStat statIfExists(Path path) throws IOException {
    try {
      return stat(path);
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      if (parentIsNotADirectory(paths.inside(path), e)) {
        return null;
      }
      throw e;
    }
  }

  /**
   * Whether a lookup of {@code p} failed with {@code e} because some ancestor is not a directory
   * (ENOTDIR), which means nothing exists at {@code p}.
   */
  static boolean parentIsNotADirectory(Path p, FileSystemException e) {
    if (e instanceof AccessDeniedException || e instanceof NoSuchFileException) {
      return false;
    }
    Path parent = p.getParent();
    return parent != null && !Files.isDirectory(parent);
  }

  @Override
  public void makeNode(Path path, NodeKind kind, int mode, int major, int minor)
      throws IOException {
    EmulatedTree.checkNodeArgs(kind, mode, major, minor);
    Path p = paths.below(path);
    LinuxCalls.mknod(p, kind, mode, major, minor);
    if (mode != 0) {
      // mknod applied the umask; the caller asked for exactly these bits.
      LinuxCalls.chmodNoFollow(p, mode);
    }
  }

  @Override
  public void setOwner(Path path, long uid, long gid) throws IOException {
    EmulatedTree.checkIds(uid, gid);
    LinuxCalls.lchown(paths.inside(path), uid, gid);
  }

  @Override
  public Creation creation(Path dir) throws IOException {
    Path p = paths.inside(dir);
    int mode = (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
    if ((mode & 0170000) != 0040000 || (mode & 02000) != 0) {
      return null;
    }
    try {
      if (LinuxCalls.getXattr(p, "system.posix_acl_default") != null) {
        return null;
      }
    } catch (IOException e) {
      return null; // cannot tell
    }
    Integer umask = umask();
    if (umask == null) {
      return null;
    }
    return new Creation(LinuxCalls.geteuid(), LinuxCalls.getegid(), 0666 & ~umask, 0777 & ~umask);
  }

  /**
   * The process's umask, from {@code /proc/self/status} (Linux 4.7 and later); null if not shown.
   */
  private static Integer umask() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Umask:")) {
          return Integer.parseInt(line.substring(6).trim(), 8);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return null;
    }
    return null;
  }

  @Override
  public void setMode(Path path, int mode) throws IOException {
    EmulatedTree.checkMode(mode);
    Path p = paths.inside(path);
    NodeKind kind = NodeKind.fromMode((Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW));
    if (kind == NodeKind.SYMLINK) {
      return;
    }
    if (kind == NodeKind.REGULAR || kind == NodeKind.DIRECTORY) {
      Files.setAttribute(p, "unix:mode", mode, NOFOLLOW);
    } else {
      LinuxCalls.chmodNoFollow(p, mode);
    }
  }

  @Override
  public void writeFile(Path path, byte[] content, FileTime mtime) throws IOException {
    Objects.requireNonNull(mtime, "mtime");
    if (!LinuxCalls.writeNewFile(paths.inside(path), content, mtime)) {
      Tree.super.writeFile(path, content, mtime);
    }
  }

  @Override
  public void setMtime(Path path, FileTime mtime) throws IOException {
    Objects.requireNonNull(mtime, "mtime");
    LinuxCalls.setMtimeNoFollow(paths.inside(path), mtime);
  }

  @Override
  public Map<String, byte[]> xattrs(Path path) throws IOException {
    Path p = paths.inside(path);
    SortedMap<String, byte[]> out = new TreeMap<>();
    for (String name : LinuxCalls.listXattrs(p)) {
      byte[] v = LinuxCalls.getXattr(p, name);
      if (v != null) {
        out.put(name, v);
      }
    }
    return Collections.unmodifiableSortedMap(out);
  }

  @Override
  public byte[] getXattr(Path path, String name) throws IOException {
    return LinuxCalls.getXattr(paths.inside(path), name);
  }

  @Override
  public void setXattr(Path path, String name, byte[] value) throws IOException {
    LinuxCalls.setXattr(paths.inside(path), name, value);
  }

  @Override
  public void removeXattr(Path path, String name) throws IOException {
    LinuxCalls.removeXattr(paths.inside(path), name);
  }

  @Override
  public void delete(Path path) throws IOException {
    ops.delete(paths.inside(path));
  }

  @Override
  public void move(Path from, Path to) throws IOException {
    ops.move(paths.below(from), paths.below(to));
  }

  @Override
  public void flush() {}
}

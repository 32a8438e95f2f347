package io.layerstore.platform;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * One directory tree (typically a layer's {@code diff/} dir) together with the file metadata that
 * plain NIO cannot set everywhere: device nodes and fifos, numeric ownership, setuid/setgid/sticky
 * bits, extended attributes in any namespace ({@code trusted.overlay.opaque} included), and
 * modification times of symlinks.
 *
 * <h2>Two implementations, one contract</h2>
 *
 * <ul>
 *   <li><b>Native</b> (Linux, with privilege): every call goes to the kernel ({@code mknod}, {@code
 *       lchown}, {@code fchmodat}, {@code lsetxattr}, {@code utimensat}); nothing is recorded on
 *       the side.
 *   <li><b>Emulated</b> (jimfs, another non-default file system, or no privilege): what the file
 *       system cannot hold is kept in a record file beside the tree (the "sidecar"). A device node
 *       or fifo becomes an empty regular placeholder file whose record says what it really is; a
 *       node without a record is owned by 0:0, has the permission bits the file system shows and no
 *       extended attributes. {@link #stat} merges file system and records, so callers see the same
 *       values on both implementations.
 * </ul>
 *
 * <p>Regular files, directories, symlinks and hardlinks are made through {@link #newFile}, {@link
 * #createDirectory}, {@link #createSymlink} and {@link #createLink}, which both implementations
 * leave to plain NIO: routing them through the tree lets a caller that makes many nodes (the
 * unpacker) be observed call by call, e.g. to count its file system calls per file. <b>Deleting and
 * renaming nodes must go through {@link #delete} and {@link #move}</b> so records follow their
 * nodes. No method follows a symlink at the node it is given; every path must lie inside {@link
 * #root()} (callers check this before calling).
 *
 * <p>Records are buffered in memory; {@link #flush()} writes them durably (atomic replace).
 * Implementations are safe for use by several threads.
 */
public interface Tree {

  /** The root directory of the tree. */
  Path root();

  /** Whether this tree keeps metadata in a sidecar instead of the file system. */
  boolean isEmulated();

  /** lstat of {@code path}, with emulated records merged in. */
  NodeStat stat(Path path) throws IOException;

  /** Like {@link #stat} but returns {@code null} when nothing exists at {@code path}. */
  NodeStat statIfExists(Path path) throws IOException;

  /**
   * Makes a new, empty regular file at {@code path} and opens it for writing; fails with {@link
   * java.nio.file.FileAlreadyExistsException} if anything (a symlink included) is there, so nothing
   * is ever written through a planted link. One {@code open(O_CREAT|O_EXCL)} on Linux.
   */
  default OutputStream newFile(Path path) throws IOException {
    return Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /**
   * Makes a new regular file at {@code path} holding {@code content}, modified at {@code mtime}: a
   * {@link #newFile}, its bytes and a {@link #setMtime} in one call, for the many small files of a
   * layer. Fails like {@link #newFile} if anything is at {@code path}. A native tree makes it with
   * exactly four system calls (open, write, futimens, close) and no Java stream.
   */
  default void writeFile(Path path, byte[] content, FileTime mtime) throws IOException {
    try (OutputStream out = newFile(path)) {
      out.write(content);
    }
    setMtime(path, mtime);
  }

  /** mkdir: a directory with the process's default mode; fails if anything is at {@code path}. */
  default void createDirectory(Path path) throws IOException {
    Files.createDirectory(path);
  }

  /** A symlink at {@code path} holding {@code target} verbatim (never resolved). */
  default void createSymlink(Path path, String target) throws IOException {
    Files.createSymbolicLink(path, path.getFileSystem().getPath(target));
  }

  /** A hardlink at {@code path} to the existing node {@code existing}. */
  default void createLink(Path path, Path existing) throws IOException {
    Files.createLink(path, existing);
  }

  /**
   * Creates a char device, block device or fifo (or a socket node) at {@code path}, which must not
   * exist. {@code mode} holds permission bits only; major and minor are 0 unless a device.
   */
  void makeNode(Path path, NodeKind kind, int mode, int major, int minor) throws IOException;

  /** lchown. */
  void setOwner(Path path, long uid, long gid) throws IOException;

  /** Sets the permission bits including setuid/setgid/sticky ({@code 07777}); no-op on symlinks. */
  void setMode(Path path, int mode) throws IOException;

  /** Sets the modification time without following a symlink at {@code path}. */
  void setMtime(Path path, FileTime mtime) throws IOException;

  /** All extended attributes of the node, any namespace, in name order. */
  Map<String, byte[]> xattrs(Path path) throws IOException;

  /** One extended attribute, or {@code null} if absent. */
  byte[] getXattr(Path path, String name) throws IOException;

  void setXattr(Path path, String name, byte[] value) throws IOException;

  /** Removes an extended attribute; absent is fine. */
  void removeXattr(Path path, String name) throws IOException;

  /**
   * Deletes the node at {@code path}; a directory with everything below it. Never follows a
   * symlink, never leaves the tree. Absent is fine.
   */
  void delete(Path path) throws IOException;

  /**
   * Renames a node (and its subtree) within the tree; records move with it. {@code to} must not
   * exist ({@link java.nio.file.FileAlreadyExistsException}); neither path may lead through a
   * symlink.
   */
  void move(Path from, Path to) throws IOException;

  /** Writes buffered records durably. No-op for native trees. */
  void flush() throws IOException;

  /**
   * What a regular file or directory gets when this process makes it directly in {@code dir}: its
   * owner, group and permission bits, so a caller that makes many can skip the chown and chmod that
   * would change nothing. Null where that cannot be told (the default): an emulated tree, a {@code
   * dir} that is setgid or has a default ACL (new nodes inherit from it), an unknown umask.
   */
  default Creation creation(Path dir) throws IOException {
    return null;
  }

  /**
   * Owner, group and permission bits of newly made files and directories; see {@link #creation}.
   */
  record Creation(long uid, long gid, int fileMode, int dirMode) {}
}

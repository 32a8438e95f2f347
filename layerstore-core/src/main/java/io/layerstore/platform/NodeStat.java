package io.layerstore.platform;

import java.nio.file.attribute.FileTime;

/**
 * What lstat says about one node, with the values a {@link Tree} keeps for file systems that cannot
 * hold them merged in: on an emulated tree a placeholder file recorded as a char device reports
 * {@link NodeKind#CHAR_DEVICE} here, and ownership, special mode bits and device numbers come from
 * the tree's records.
 *
 * @param kind node type
 * @param mode permission bits with setuid, setgid and sticky ({@code 07777}), no type bits
 * @param uid numeric owner
 * @param gid numeric group
 * @param size bytes for regular files, target length for symlinks, 0 otherwise
 * @param devMajor device major number (devices only, else 0)
 * @param devMinor device minor number (devices only, else 0)
 * @param mtime modification time, with whatever precision the file system keeps
 * @param fileKey identity of the underlying inode (equal for hardlinks), never null
 * @param linkCount number of hardlinks
 */
public record NodeStat(
    NodeKind kind,
    int mode,
    long uid,
    long gid,
    long size,
    int devMajor,
    int devMinor,
    FileTime mtime,
    Object fileKey,
    int linkCount) {

  public boolean isDirectory() {
    return kind == NodeKind.DIRECTORY;
  }

  public boolean isRegular() {
    return kind == NodeKind.REGULAR;
  }

  public boolean isSymlink() {
    return kind == NodeKind.SYMLINK;
  }

  /** Whether this is an overlay whiteout: a char device 0:0. */
  public boolean isOverlayWhiteout() {
    return kind == NodeKind.CHAR_DEVICE && devMajor == 0 && devMinor == 0;
  }

  /** Type bits and permission bits together, as {@code st_mode}. */
  public int fullMode() {
    return kind.typeBits() | (mode & 07777);
  }
}

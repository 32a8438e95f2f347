package io.layerstore.build.internal;

import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStoreException;
import io.layerstore.NotFoundException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;

/**
 * What the build needs to know of one source path: its kind, permission bits, owner, size and
 * modification time, read with one or two {@code stat}s. The owner and the special bits come from
 * the {@code unix} attribute view where the file system has one (the default one on Linux), else
 * from the POSIX view (jimfs): the owner then does not take part in the cache key.
 */
record SourceStat(Kind kind, int mode, long uid, long gid, long size, long mtimeNanos) {

  enum Kind {
    FILE,
    DIRECTORY,
    SYMLINK
  }

  private static final int S_IFMT = 0170000;

  /**
   * Reads {@code p}'s attributes; {@code follow} follows a symlink at {@code p}. A socket, fifo or
   * device is refused, naming it: a layer may hold only what every file system can unpack without
   * privilege.
   *
   * @param what how the path is named in errors, e.g. "build source"
   */
  static SourceStat read(Path p, boolean follow, String what) throws IOException {
    LinkOption[] opts = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    PosixFileAttributes a;
    Map<String, Object> unix = null;
    try {
      a = Files.readAttributes(p, PosixFileAttributes.class, opts);
      if (p.getFileSystem().supportedFileAttributeViews().contains("unix")) {
        unix = Files.readAttributes(p, "unix:mode,uid,gid", opts);
      }
    } catch (NoSuchFileException e) {
      throw new NotFoundException(
          what
              + " "
              + p
              + " does not exist"
              + (Files.isSymbolicLink(p) ? " (it is a symlink to a missing file)" : ""));
    } catch (FileSystemException e) {
      if (follow && Files.isSymbolicLink(p)) {
        // ELOOP: the JDK reports it as a bare FileSystemException, "Too many levels of symbolic
        // links"
        throw new InvalidArchiveException(
            p.toString(), null, what + " is a symlink loop: " + e.getReason());
      }
      throw e;
    } catch (UnsupportedOperationException e) {
      throw new LayerStoreException(
          what + " " + p + " is on a file system without POSIX attributes", e);
    }
    int rawMode = unix != null ? (Integer) unix.get("mode") : bits(a.permissions());
    Kind kind;
    if (a.isSymbolicLink()) {
      kind = Kind.SYMLINK;
    } else if (a.isDirectory()) {
      kind = Kind.DIRECTORY;
    } else if (a.isRegularFile()) {
      kind = Kind.FILE;
    } else {
      throw new InvalidArchiveException(
          p.toString(),
          null,
          what
              + " is "
              + special(unix == null ? 0 : rawMode & S_IFMT)
              + "; only regular files, directories and symlinks can be added to a layer");
    }
    return new SourceStat(
        kind,
        rawMode & 07777,
        unix == null ? 0 : ((Number) unix.get("uid")).longValue(),
        unix == null ? 0 : ((Number) unix.get("gid")).longValue(),
        a.size(),
        a.lastModifiedTime().toInstant().getEpochSecond() * 1_000_000_000L
            + a.lastModifiedTime().toInstant().getNano());
  }

  private static String special(int type) {
    return switch (type) {
      case 0140000 -> "a socket";
      case 0010000 -> "a fifo";
      case 0020000 -> "a character device";
      case 0060000 -> "a block device";
      default -> "a special file";
    };
  }

  private static int bits(Set<PosixFilePermission> perms) {
    int m = 0;
    for (PosixFilePermission p : perms) {
      m |= 1 << (8 - p.ordinal()); // OWNER_READ is ordinal 0, bit 0400
    }
    return m;
  }
}

package io.layerstore.build.internal;

import io.layerstore.InvalidArchiveException;
import io.layerstore.NotFoundException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;

/**
 * What the build needs to know of one source path: its kind, permission bits, owner, size,
 * modification time and identity (to see a directory loop), read with one {@code stat} from the
 * {@code unix} attribute view where the file system has one (the default one on Linux), else from
 * the POSIX view, where the owner and the set-id bits are not known and count as 0, else from the
 * basic view (modes as a umask of 022 gives them).
 *
 * @param mode permission bits, {@code 07777}
 * @param mtimeNanos modification time, nanoseconds since the epoch
 * @param identity device and inode (or the file system's file key): equal for the same file
 */
record SourceStat(
    Kind kind, int mode, long uid, long gid, long size, long mtimeNanos, Object identity) {

  enum Kind {
    FILE,
    DIRECTORY,
    SYMLINK
  }

  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFLNK = 0120000;
  private static final String UNIX = "unix:mode,uid,gid,size,lastModifiedTime,dev,ino";

  /**
   * Reads {@code p}'s attributes; {@code follow} follows a symlink at {@code p}. A socket, fifo or
   * device is refused, naming it: a layer may hold only what every file system can unpack without
   * privilege.
   *
   * @param what how the path is named in errors, e.g. "build source"
   * @throws io.layerstore.NotFoundException if {@code p} does not exist
   * @throws InvalidArchiveException if {@code p} is a symlink loop or a special file
   */
  static SourceStat read(Path p, boolean follow, String what) throws IOException {
    LinkOption[] opts = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    try {
      if (p.getFileSystem().supportedFileAttributeViews().contains("unix")) {
        return ofUnix(p, Files.readAttributes(p, UNIX, opts), what);
      }
      if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, opts);
        return ofBasic(p, a, bits(a.permissions()), what);
      }
      // no modes at all: what a umask of 022 would give
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, opts);
      return ofBasic(p, a, a.isDirectory() ? 0755 : 0644, what);
    } catch (NoSuchFileException e) {
      throw new NotFoundException(
          what
              + " "
              + p
              + " does not exist"
              + (Files.isSymbolicLink(p) ? " (it is a symlink to a missing file)" : ""));
    } catch (FileSystemException e) {
      if (follow && Files.isSymbolicLink(p)) {
        // ELOOP, which the JDK reports as a bare FileSystemException
        throw new InvalidArchiveException(
            p.toString(), null, what + " is a symlink loop: " + e.getReason());
      }
      throw e;
    }
  }

  private static SourceStat ofUnix(Path p, Map<String, Object> a, String what)
      throws InvalidArchiveException {
    int raw = (Integer) a.get("mode");
    Kind kind =
        switch (raw & S_IFMT) {
          case S_IFREG -> Kind.FILE;
          case S_IFDIR -> Kind.DIRECTORY;
          case S_IFLNK -> Kind.SYMLINK;
          default -> throw special(p, what, special(raw & S_IFMT));
        };
    return new SourceStat(
        kind,
        raw & 07777,
        ((Number) a.get("uid")).longValue(),
        ((Number) a.get("gid")).longValue(),
        (Long) a.get("size"),
        nanos((FileTime) a.get("lastModifiedTime")),
        a.get("dev") + ":" + a.get("ino"));
  }

  private static SourceStat ofBasic(Path p, BasicFileAttributes a, int mode, String what)
      throws InvalidArchiveException {
    Kind kind;
    if (a.isSymbolicLink()) {
      kind = Kind.SYMLINK;
    } else if (a.isDirectory()) {
      kind = Kind.DIRECTORY;
    } else if (a.isRegularFile()) {
      kind = Kind.FILE;
    } else {
      throw special(p, what, "a special file");
    }
    Object key = a.fileKey();
    return new SourceStat(
        kind,
        mode,
        0,
        0,
        a.size(),
        nanos(a.lastModifiedTime()),
        key != null ? key : p.toAbsolutePath().normalize());
  }

  private static InvalidArchiveException special(Path p, String what, String kind) {
    return new InvalidArchiveException(
        p.toString(),
        null,
        what + " is " + kind + "; only regular files, directories and symlinks can be added");
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

  private static long nanos(FileTime t) {
    java.time.Instant i = t.toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private static int bits(Set<PosixFilePermission> perms) {
    int m = 0;
    for (PosixFilePermission p : perms) {
      m |= 1 << (8 - p.ordinal()); // OWNER_READ is ordinal 0, bit 0400
    }
    return m;
  }

  /** What the cache key records of the source: everything but its identity. */
  String facts() {
    return kind
        + " "
        + size
        + " "
        + mtimeNanos
        + " "
        + Integer.toOctalString(mode)
        + " "
        + uid
        + ":"
        + gid;
  }
}

package io.layerstore.platform;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * libc calls with Java types in and {@link IOException}s out. Every failure names the path and the
 * call and carries the errno text ({@code "/x/y: mknod: Operation not permitted"}); ENOENT, EEXIST
 * and EACCES become the NIO exception types callers already catch.
 */
final class LinuxCalls {
  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final long UTIME_OMIT = (1L << 30) - 2;

  static final int ENOENT = 2;
  static final int ENOTDIR = 20;
  static final int EACCES = 13;
  static final int EEXIST = 17;
  static final int ERANGE = 34;
  static final int ENODATA = 61;
  static final int EOPNOTSUPP = 95;

  /** The charset the JDK turns path strings into file name bytes with. */
  private static final Charset PATH_CHARSET = pathCharset();

  private LinuxCalls() {}

  static int geteuid() {
    return LibC.INSTANCE.geteuid();
  }

  static int getegid() {
    return LibC.INSTANCE.getegid();
  }

  /** Owner and group in one call, never following a symlink. */
  static void lchown(Path path, long uid, long gid) throws IOException {
    try {
      LibC.INSTANCE.lchown(cPath(path), (int) uid, (int) gid);
    } catch (LastErrorException e) {
      throw error("lchown", path, e);
    }
  }

  static int pageSize() {
    return LibC.INSTANCE.getpagesize();
  }

  static void mknod(Path path, NodeKind kind, int mode, int major, int minor) throws IOException {
    try {
      LibC.INSTANCE.mknod(cPath(path), kind.typeBits() | mode, DevNumbers.makedev(major, minor));
    } catch (LastErrorException e) {
      throw error("mknod", path, e);
    }
  }

  /**
   * chmod that never follows a symlink. glibc (2.32 and later) implements the flag through an
   * {@code O_PATH} descriptor, so nothing is opened for reading: fifos and devices are safe. An
   * older glibc answers EOPNOTSUPP for every node; the caller has just seen the node is not a
   * symlink, so plain chmod is then used.
   */
  static void chmodNoFollow(Path path, int mode) throws IOException {
    byte[] p = cPath(path);
    try {
      LibC.INSTANCE.fchmodat(AT_FDCWD, p, mode, AT_SYMLINK_NOFOLLOW);
    } catch (LastErrorException e) {
      if (e.getErrorCode() != EOPNOTSUPP) {
        throw error("chmod", path, e);
      }
      try {
        LibC.INSTANCE.fchmodat(AT_FDCWD, p, mode, 0);
      } catch (LastErrorException e2) {
        throw error("chmod", path, e2);
      }
    }
  }

  /** utimensat with AT_SYMLINK_NOFOLLOW: nanoseconds, access time left alone, nothing opened. */
  static void setMtimeNoFollow(Path path, FileTime mtime) throws IOException {
    Instant t = mtime.toInstant();
    long[] times = {0, UTIME_OMIT, t.getEpochSecond(), t.getNano()};
    try {
      LibC.INSTANCE.utimensat(AT_FDCWD, cPath(path), times, AT_SYMLINK_NOFOLLOW);
    } catch (LastErrorException e) {
      throw error("utimensat", path, e);
    }
  }

  /**
   * Makes the regular file {@code path}, which must not exist (no symlink there is followed: {@code
   * O_CREAT|O_EXCL}), mode 0666 less the umask, holding {@code content}, modified at {@code mtime}:
   * exactly open, write, futimens and close, as GNU tar makes a file. False where {@link FileCalls}
   * is not available; the caller then takes the portable way.
   */
  static boolean writeNewFile(Path path, byte[] content, FileTime mtime) throws IOException {
    if (!FileCalls.AVAILABLE) {
      return false;
    }
    int fd;
    try {
      fd =
          FileCalls.open(
              cPath(path),
              FileCalls.O_WRONLY | FileCalls.O_CREAT | FileCalls.O_EXCL | FileCalls.O_CLOEXEC,
              0666);
    } catch (LastErrorException e) {
      throw error("open", path, e);
    }
    boolean closed = false;
    try {
      byte[] rest = content;
      while (rest.length > 0) {
        long n;
        try {
          n = FileCalls.write(fd, rest, rest.length);
        } catch (LastErrorException e) {
          throw error("write", path, e);
        }
        if (n <= 0) {
          // never for a regular file by Linux's contract; a loop without progress is worse
          throw new FileSystemException(path.toString(), null, "write: wrote nothing");
        }
        // a short write (a full disk, a signal) is rare: the rest goes again from a copy
        rest = n >= rest.length ? new byte[0] : Arrays.copyOfRange(rest, (int) n, rest.length);
      }
      Instant t = mtime.toInstant();
      try {
        FileCalls.futimens(fd, new long[] {0, UTIME_OMIT, t.getEpochSecond(), t.getNano()});
      } catch (LastErrorException e) {
        throw error("futimens", path, e);
      }
      closed = true;
      try {
        FileCalls.close(fd);
      } catch (LastErrorException e) {
        throw error("close", path, e); // the fd is released even so (Linux)
      }
    } finally {
      if (!closed) {
        try {
          FileCalls.close(fd);
        } catch (LastErrorException e) {
          // the first failure is the one reported
        }
      }
    }
    return true;
  }

  /** The value of xattr {@code name}, or {@code null} if the node has none of that name. */
  static byte[] getXattr(Path path, String name) throws IOException {
    byte[] p = cPath(path);
    byte[] n = cString(Xattrs.checkName(path, "getxattr", name));
    byte[] buf = new byte[256];
    while (true) {
      try {
        int len = (int) LibC.INSTANCE.lgetxattr(p, n, buf, new NativeLong(buf.length)).longValue();
        return Arrays.copyOf(buf, len);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENODATA) {
          return null;
        }
        if (e.getErrorCode() != ERANGE) {
          throw error("getxattr " + name, path, e);
        }
      }
      // Too small: ask for the size, then try again (the value may grow in between).
      try {
        long size = LibC.INSTANCE.lgetxattr(p, n, null, new NativeLong(0)).longValue();
        buf = new byte[(int) Math.max(size, buf.length * 2L)];
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENODATA) {
          return null;
        }
        throw error("getxattr " + name, path, e);
      }
    }
  }

  static void setXattr(Path path, String name, byte[] value) throws IOException {
    byte[] n = cString(Xattrs.checkName(path, "setxattr", name));
    Xattrs.checkValue(path, "setxattr", value);
    // JNA cannot pass a zero-length array as a valid pointer; the size says 0 anyway.
    byte[] v = value.length == 0 ? new byte[1] : value;
    try {
      LibC.INSTANCE.lsetxattr(cPath(path), n, v, new NativeLong(value.length), 0);
    } catch (LastErrorException e) {
      throw error("setxattr " + name, path, e);
    }
  }

  static List<String> listXattrs(Path path) throws IOException {
    byte[] p = cPath(path);
    byte[] buf = new byte[1024];
    int len;
    while (true) {
      try {
        len = (int) LibC.INSTANCE.llistxattr(p, buf, new NativeLong(buf.length)).longValue();
        break;
      } catch (LastErrorException e) {
        if (e.getErrorCode() != ERANGE) {
          throw error("listxattr", path, e);
        }
      }
      try {
        long size = LibC.INSTANCE.llistxattr(p, null, new NativeLong(0)).longValue();
        buf = new byte[(int) Math.max(size, buf.length * 2L)];
      } catch (LastErrorException e) {
        throw error("listxattr", path, e);
      }
    }
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < len; i++) {
      if (buf[i] == 0) {
        if (i > start) {
          names.add(new String(buf, start, i - start, StandardCharsets.UTF_8));
        }
        start = i + 1;
      }
    }
    return names;
  }

  /** Removes xattr {@code name}; a node without it is fine. */
  static void removeXattr(Path path, String name) throws IOException {
    byte[] n = cString(Xattrs.checkName(path, "removexattr", name));
    try {
      LibC.INSTANCE.lremovexattr(cPath(path), n);
    } catch (LastErrorException e) {
      if (e.getErrorCode() != ENODATA) {
        throw error("removexattr " + name, path, e);
      }
    }
  }

  static void mount(String source, Path target, String fsType, long flags, byte[] data, String what)
      throws IOException {
    try {
      LibC.INSTANCE.mount(
          source == null ? null : cString(source.getBytes(PATH_CHARSET)),
          cPath(target),
          fsType == null ? null : cString(fsType.getBytes(PATH_CHARSET)),
          new NativeLong(flags),
          data == null ? null : cString(data));
    } catch (LastErrorException e) {
      throw error(what, target, e);
    }
  }

  static void umount2(Path target, int flags) throws IOException {
    try {
      LibC.INSTANCE.umount2(cPath(target), flags);
    } catch (LastErrorException e) {
      throw error("umount2", target, e);
    }
  }

  /** struct statx's size, and where its stx_attributes and stx_attributes_mask (both u64) are. */
  private static final int STATX_SIZE = 256;

  private static final int STX_ATTRIBUTES = 8;
  private static final int STX_ATTRIBUTES_MASK = 56;

  /** stx_attributes bit: the path is the root of a mount (Linux 5.8 and later). */
  private static final long STATX_ATTR_MOUNT_ROOT = 0x2000;

  /**
   * Whether {@code path} (followed if a symlink, as {@link Path#toRealPath} follows it) is the root
   * of a mount, from one statx(2) that asks for no fields: the kernel fills stx_attributes anyway.
   *
   * @return whether it is a mount root ({@code false} if nothing is at {@code path}); empty if the
   *     kernel does not say (before Linux 5.8, where stx_attributes_mask lacks the bit)
   */
  static Optional<Boolean> isMountRoot(Path path) throws IOException {
    byte[] buf = new byte[STATX_SIZE];
    if (LibC.Quiet.INSTANCE.statx(AT_FDCWD, cPath(path), 0, 0, buf) != 0) {
      int errno = Native.getLastError();
      if (errno == ENOENT || errno == ENOTDIR) {
        return Optional.of(false); // nothing there (a mount point not made yet) is no mount
      }
      throw error("statx", path, errno);
    }
    ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    if ((b.getLong(STX_ATTRIBUTES_MASK) & STATX_ATTR_MOUNT_ROOT) == 0) {
      return Optional.empty();
    }
    return Optional.of((b.getLong(STX_ATTRIBUTES) & STATX_ATTR_MOUNT_ROOT) != 0);
  }

  /** chdir(2) for the calling thread (whose fs context must be unshared; see unshareFs). */
  static void chdir(Path dir) throws IOException {
    try {
      LibC.INSTANCE.chdir(cPath(dir));
    } catch (LastErrorException e) {
      throw error("chdir", dir, e);
    }
  }

  /** unshare(CLONE_FS): the calling thread gets a working directory of its own. */
  static void unshareFs() throws IOException {
    try {
      LibC.INSTANCE.unshare(LibC.CLONE_FS);
    } catch (LastErrorException e) {
      throw new IOException("unshare(CLONE_FS): " + e.getMessage(), e);
    }
  }

  /** syncfs(2) on the file system that holds {@code path}. */
  static void syncfs(Path path) throws IOException {
    int fd;
    try {
      fd = LibC.INSTANCE.open(cPath(path), 0); // O_RDONLY works for directories too
    } catch (LastErrorException e) {
      throw error("open", path, e);
    }
    try {
      LibC.INSTANCE.syncfs(fd);
    } catch (LastErrorException e) {
      throw error("syncfs", path, e);
    } finally {
      LibC.INSTANCE.close(fd);
    }
  }

  /** The bytes the JDK itself would hand the kernel for {@code path}, NUL-terminated. */
  static byte[] cPath(Path path) {
    String s = path.toString();
    if (s.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("NUL in path: " + s);
    }
    return cString(s.getBytes(PATH_CHARSET));
  }

  static byte[] encode(String s) {
    return s.getBytes(PATH_CHARSET);
  }

  static String decode(byte[] bytes, int off, int len) {
    return new String(bytes, off, len, PATH_CHARSET);
  }

  static byte[] cString(byte[] bytes) {
    return Arrays.copyOf(bytes, bytes.length + 1);
  }

  static IOException error(String op, Path path, LastErrorException e) {
    return error(op, path, e.getErrorCode());
  }

  static IOException error(String op, Path path, int errno) {
    String reason = op + ": " + strerror(errno);
    String file = path.toString();
    switch (errno) {
      case ENOENT:
        return new NoSuchFileException(file, null, reason);
      case EEXIST:
        return new FileAlreadyExistsException(file, null, reason);
      case EACCES:
        return new AccessDeniedException(file, null, reason);
      default:
        return new FileSystemException(file, null, reason);
    }
  }

  static String strerror(int errno) {
    try {
      String s = LibC.INSTANCE.strerror(errno);
      return s != null ? s : "errno " + errno;
    } catch (RuntimeException e) {
      return "errno " + errno;
    }
  }

  private static Charset pathCharset() {
    String name = System.getProperty("sun.jnu.encoding");
    try {
      return name != null ? Charset.forName(name) : Charset.defaultCharset();
    } catch (IllegalArgumentException e) {
      return Charset.defaultCharset();
    }
  }
}

package io.layerstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Small file operations that make store updates crash safe: write-to-temp, fsync, rename; fsync of
 * directories; directories created with Docker's modes.
 *
 * <p>fsync is required where the file system supports it (the default file system of a POSIX host):
 * a failure there is an {@link IOException}. Where it has no meaning (jimfs, which cannot open a
 * directory) a failed directory fsync is logged at debug level and skipped.
 */
public final class AtomicFiles {
  private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

  private final SecureRandom random;
  private final boolean durable;

  /**
   * @param durable whether to fsync files and directories (the crash-safety guarantee); turning it
   *     off trades durability of the last operations for speed, never consistency
   */
  public AtomicFiles(SecureRandom random, boolean durable) {
    this.random = random;
    this.durable = durable;
  }

  /** Random lowercase hex of {@code bytes} random bytes. */
  public String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  public SecureRandom random() {
    return random;
  }

  /**
   * Replaces {@code target} with {@code data} atomically: readers see the old or the new content,
   * never a mix, and after a crash one of the two survives.
   */
  public void write(Path target, byte[] data, int mode) throws IOException {
    Path dir = target.getParent();
    Path tmp = dir.resolve(".tmp-" + target.getFileName() + randomHex(8));
    try {
      writeNew(tmp, data, mode);
      move(tmp, target);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    syncDir(dir);
  }

  /** Writes a file that must not exist yet, fsynced, with {@code mode}. */
  public void writeNew(Path file, byte[] data, int mode) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(data);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      if (durable) {
        ch.force(true);
      }
    }
    setMode(file, mode);
  }

  /** Renames atomically, replacing an existing file. */
  public void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the store's file system cannot rename atomically: " + to, e);
    }
  }

  /**
   * Renames a directory into place; fails with {@link FileAlreadyExistsException} if the target
   * exists (someone else won the race).
   */
  public void moveDirectory(Path from, Path to) throws IOException {
    if (Files.exists(to, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(to.toString());
    }
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the store's file system cannot rename atomically: " + to, e);
    } catch (IOException e) {
      if (Files.exists(to, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        FileAlreadyExistsException x = new FileAlreadyExistsException(to.toString());
        x.initCause(e);
        throw x;
      }
      throw e;
    }
    syncDir(to.getParent());
  }

  /**
   * fsyncs a directory so that renames and creations in it survive a crash.
   *
   * @throws IOException if the directory cannot be fsynced on a file system where that is expected
   *     to work (the default one of a POSIX host): the store's durability would be a lie there.
   *     Elsewhere (jimfs opens no directory; an in-memory store has nothing to lose) the failure is
   *     logged and skipped.
   */
  public void syncDir(Path dir) throws IOException {
    if (!durable || dir == null) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      if (expectsDirectorySync(dir)) {
        throw new IOException("cannot fsync the directory " + dir + ": " + e.getMessage(), e);
      }
      LOG.debug("no fsync of directories on the file system of {}: {}", dir, e.toString());
    }
  }

  /** Whether fsync of a directory must work: on the default file system of a POSIX host. */
  private static boolean expectsDirectorySync(Path dir) {
    return dir.getFileSystem() == FileSystems.getDefault()
        && dir.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** fsyncs one regular file. */
  public void syncFile(Path file) throws IOException {
    if (!durable) {
      return;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  public boolean durable() {
    return durable;
  }

  /** Creates {@code dir} (and missing parents with the same mode) if absent, with {@code mode}. */
  public static void ensureDirectory(Path dir, int mode) throws IOException {
    if (Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path parent = dir.getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      ensureDirectory(parent, mode);
    }
    try {
      Files.createDirectory(dir);
      setMode(dir, mode);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw e;
      }
    }
  }

  /** Sets the nine permission bits of a file or directory where the file system has them. */
  public static void setMode(Path p, int mode) throws IOException {
    PosixFileAttributeView v =
        Files.getFileAttributeView(
            p, PosixFileAttributeView.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    if (v != null) {
      v.setPermissions(permissions(mode));
    }
  }

  static Set<PosixFilePermission> permissions(int mode) {
    StringBuilder sb = new StringBuilder(9);
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      sb.append((mode & (0400 >> i)) != 0 ? rwx.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(sb.toString());
  }
}

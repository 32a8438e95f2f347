package io.layerstore.spi;

import io.layerstore.platform.FileLocks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reference counts of kernel mounts, shared by every thread and every process using one store.
 *
 * <p>A kernel mount outlives the process that made it (the CLI's {@code mount} command exits and
 * leaves it up), so the count lives in a file, {@code <dir>/<id>.count}, changed only under an
 * exclusive lock on {@code <dir>/<id>.lock}, a {@link FileLocks} lock (threads of this process
 * serialize on an in-memory lock first, since file locks are per process). A count whose mount
 * point is no longer mounted (after a reboot or an outside umount) is treated as 0, the way
 * Docker's RefCounter starts from what the mount table says.
 */
final class MountReferences {

  /** What to do when the first reference is taken or the last one dropped. */
  public interface Action {
    void run() throws IOException;
  }

  /** Tells whether the mount for an id is really up. */
  public interface MountCheck {
    boolean isMounted(String id) throws IOException;
  }

  private final Path dir;
  private final MountCheck check;
  private final FileLocks locks;

  MountReferences(Path dir, MountCheck check) {
    this.dir = dir;
    this.check = check;
    this.locks = new FileLocks(dir, "the mount references in " + dir);
  }

  /**
   * Takes a reference on {@code id}, running {@code mount} if it is the first. Returns the count.
   */
  int acquire(String id, Action mount) throws IOException {
    try (Held h = lock(id)) {
      int n = h.count();
      if (n > 0 && !check.isMounted(id)) {
        n = 0;
      }
      if (n == 0) {
        if (!check.isMounted(id)) {
          mount.run();
        }
      }
      h.write(n + 1);
      return n + 1;
    }
  }

  /**
   * Drops a reference on {@code id}, running {@code unmount} when none is left. Returns the count.
   */
  int release(String id, Action unmount) throws IOException {
    try (Held h = lock(id)) {
      int n = h.count() - 1;
      if (n <= 0) {
        if (check.isMounted(id)) {
          unmount.run();
        }
        h.delete();
        return 0;
      }
      h.write(n);
      return n;
    }
  }

  /** Drops every reference on {@code id}, whoever took them, and unmounts. */
  void releaseAll(String id, Action unmount) throws IOException {
    try (Held h = lock(id)) {
      if (check.isMounted(id)) {
        unmount.run();
      }
      h.delete();
    }
  }

  private Held lock(String id) throws IOException {
    return new Held(id, locks.lock(id));
  }

  private final class Held implements AutoCloseable {
    private final String id;
    private final FileLocks.Held lock;

    Held(String id, FileLocks.Held lock) {
      this.id = id;
      this.lock = lock;
    }

    int count() throws IOException {
      Path f = dir.resolve(id + ".count");
      if (!Files.exists(f)) {
        return 0;
      }
      String s = new String(Files.readAllBytes(f), StandardCharsets.US_ASCII).strip();
      try {
        return Math.max(0, Integer.parseInt(s));
      } catch (NumberFormatException e) {
        return 0;
      }
    }

    void write(int n) throws IOException {
      Path f = dir.resolve(id + ".count");
      Path tmp = dir.resolve(id + ".count.tmp");
      Files.write(tmp, Integer.toString(n).getBytes(StandardCharsets.US_ASCII));
      Files.move(
          tmp,
          f,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    void delete() throws IOException {
      Files.deleteIfExists(dir.resolve(id + ".count"));
    }

    @Override
    public void close() throws IOException {
      lock.close();
    }
  }
}

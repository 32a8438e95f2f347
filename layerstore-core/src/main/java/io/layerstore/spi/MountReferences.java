package io.layerstore.spi;

import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reference counts of kernel mounts, shared by every thread and every process using one store.
 *
 * <p>A kernel mount outlives the process that made it (the CLI's {@code mount} command exits and
 * leaves it up), so the count lives in a file, {@code <dir>/<id>.count}, changed only under an
 * exclusive lock on {@code <dir>/<id>.lock} (threads of this process serialize on an in-memory
 * lock first, since file locks are per process). A count whose mount point is no longer mounted
 * (after a reboot or an outside umount) is treated as 0, the way Docker's RefCounter starts from
 * what the mount table says.
 */
public final class MountReferences {

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
  private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  public MountReferences(Path dir, MountCheck check) {
    this.dir = dir;
    this.check = check;
  }

  /** Takes a reference on {@code id}, running {@code mount} if it is the first. Returns the count. */
  public int acquire(String id, Action mount) throws IOException {
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

  /** Drops a reference on {@code id}, running {@code unmount} when none is left. Returns the count. */
  public int release(String id, Action unmount) throws IOException {
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
  public void releaseAll(String id, Action unmount) throws IOException {
    try (Held h = lock(id)) {
      if (check.isMounted(id)) {
        unmount.run();
      }
      h.delete();
    }
  }

  /** The current count (0 when not mounted). */
  public int count(String id) throws IOException {
    try (Held h = lock(id)) {
      return check.isMounted(id) ? h.count() : 0;
    }
  }

  private Held lock(String id) throws IOException {
    Files.createDirectories(dir);
    ReentrantLock mem = locks.computeIfAbsent(id, k -> new ReentrantLock());
    mem.lock();
    FileChannel ch = null;
    try {
      ch = FileChannel.open(dir.resolve(id + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock fl;
      try {
        fl = io.layerstore.store.StoreLocks.lockWaiting(ch);
      } catch (OverlappingFileLockException e) {
        throw new LayerStoreException(
            "mount references of " + id + " are locked by another store instance in this JVM; "
                + "open one LayerStore per root and share it");
      }
      return new Held(id, mem, ch, fl);
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
      }
      mem.unlock();
      throw e;
    }
  }

  private final class Held implements AutoCloseable {
    private final String id;
    private final ReentrantLock mem;
    private final FileChannel ch;
    private final FileLock fl;

    Held(String id, ReentrantLock mem, FileChannel ch, FileLock fl) {
      this.id = id;
      this.mem = mem;
      this.ch = ch;
      this.fl = fl;
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
      Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    void delete() throws IOException {
      Files.deleteIfExists(dir.resolve(id + ".count"));
    }

    @Override
    public void close() throws IOException {
      try {
        fl.release();
        ch.close();
      } finally {
        mem.unlock();
      }
    }
  }
}

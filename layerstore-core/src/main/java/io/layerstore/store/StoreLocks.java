package io.layerstore.store;

import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Locks shared by the threads of this process and by other processes using the same store: an
 * in-memory lock orders this process's threads, then an exclusive file lock on {@code
 * layerstore/locks/<name>.lock} orders the processes. Reentrant within a thread. A lock file is
 * opened only while its in-memory lock is held, because closing any descriptor of a file drops
 * every POSIX lock the process has on it.
 *
 * <p>Names in use: {@code store} (every change of store metadata), {@code chain-<hex>} (a layer
 * being staged, or pinned as the parent of one), {@code claim-<write-set>} (a staging directory
 * in use, see {@link #claim}); {@link MountPins} keeps {@code mounted-<driver id>} beside them.
 *
 * <p>One {@code LayerStore} instance per root and process is expected; a second instance in the
 * same JVM would collide on file locks (the JVM owns file locks per process), which is reported
 * as an error rather than ignored.
 */
public final class StoreLocks {

  private final Path dir;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  public StoreLocks(Path dir) {
    this.dir = dir;
  }

  /** A held lock; closing releases it. */
  public interface Held extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  /** The lock that orders every change of store metadata (layer publish/remove, images, tags). */
  public Held store() throws IOException {
    return lock("store");
  }

  /** Takes the lock called {@code name} (letters, digits, dashes). */
  public Held lock(String name) throws IOException {
    Entry e = entries.computeIfAbsent(name, Entry::new);
    e.mem.lock();
    try {
      if (e.mem.getHoldCount() == 1) {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(file(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
          e.lock = lockWaiting(ch);
          e.channel = ch;
        } catch (OverlappingFileLockException x) {
          ch.close();
          throw new LayerStoreException("lock " + name + " of store " + dir.getParent().getParent()
              + " is held by another LayerStore instance in this JVM; share one instance per root");
        } catch (IOException | RuntimeException x) {
          ch.close();
          throw x;
        }
      }
    } catch (IOException | RuntimeException x) {
      e.mem.unlock();
      throw x;
    }
    return () -> release(e);
  }

  /**
   * Takes the lock called {@code name} if nobody (no other thread, no other process) holds it;
   * returns null at once otherwise. For work that may simply be skipped while something is busy
   * (removing a layer that a running load has pinned).
   */
  public Held tryLock(String name) throws IOException {
    Entry e = entries.computeIfAbsent(name, Entry::new);
    if (!e.mem.tryLock()) {
      return null;
    }
    try {
      if (e.mem.getHoldCount() == 1) {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(file(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock fl;
        try {
          fl = ch.tryLock();
        } catch (OverlappingFileLockException x) {
          fl = null;
        } catch (IOException | RuntimeException x) {
          ch.close();
          throw x;
        }
        if (fl == null) {
          ch.close();
          e.mem.unlock();
          return null;
        }
        e.lock = fl;
        e.channel = ch;
      }
    } catch (IOException | RuntimeException x) {
      e.mem.unlock();
      throw x;
    }
    return () -> release(e);
  }

  /**
   * Marks {@code name} (unique, e.g. a random write-set name) as being worked on by this process
   * until the returned handle is closed; other processes see it with {@link #isClaimed}. A claim
   * dies with its process, which is how leftovers of a killed process are told from live work.
   * Whoever claims removes the claimed thing before closing the claim; closing deletes the lock
   * file.
   */
  public Held claim(String name) throws IOException {
    Held h = tryLock(name);
    if (h == null) {
      throw new LayerStoreException("claim " + name + " of store " + dir.getParent().getParent() + " is held already");
    }
    return () -> {
      try {
        h.close();
      } finally {
        entries.remove(name);
        Files.deleteIfExists(file(name));
      }
    };
  }

  /**
   * Whether a live thread or process holds the claim (or lock) {@code name}. A lock file nobody
   * holds means its owner died; the caller may then clean up after it (and {@link #forget} the
   * file).
   */
  public boolean isClaimed(String name) throws IOException {
    Entry e = entries.get(name);
    if (e != null && e.mem.isLocked()) {
      return true; // held in this JVM: the file must not even be opened (closing it would drop the lock)
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(file(name), StandardOpenOption.WRITE);
    } catch (java.nio.file.NoSuchFileException x) {
      return false;
    }
    try (ch) {
      FileLock fl;
      try {
        fl = ch.tryLock();
      } catch (OverlappingFileLockException x) {
        return true;
      }
      if (fl == null) {
        return true;
      }
      fl.release();
      return false;
    }
  }

  /** Deletes the lock file of a claim whose owner is gone. */
  public void forget(String name) throws IOException {
    Files.deleteIfExists(file(name));
  }

  /**
   * {@link FileChannel#lock()}, retried when the kernel reports a deadlock. POSIX locks belong to
   * processes, not threads, so with several threads in each of two processes the kernel sees a
   * cycle (process A waits for B's lock while B waits for one of A's) where there is none: the
   * thread of A that holds the lock B wants is not the one waiting, and will let go. The wait
   * fails with EDEADLK instead; waiting a little and asking again is right. (A real cycle cannot
   * arise: chain locks are taken in one order, and before the store lock.)
   */
  public static FileLock lockWaiting(FileChannel ch) throws IOException {
    return lockWaiting(ch, false);
  }

  /** Like {@link #lockWaiting(FileChannel)}, shared or exclusive. */
  public static FileLock lockWaiting(FileChannel ch, boolean shared) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return ch.lock(0, Long.MAX_VALUE, shared);
      } catch (IOException e) {
        String m = e.getMessage();
        if (m == null || !m.toLowerCase(java.util.Locale.ROOT).contains("deadlock")) {
          throw e;
        }
        try {
          Thread.sleep(1 + java.util.concurrent.ThreadLocalRandom.current().nextInt(Math.min(50, 2 + attempt * 5)));
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while waiting for a store lock");
        }
      }
    }
  }

  private Path file(String name) {
    return dir.resolve(name + ".lock");
  }

  private static void release(Entry e) throws IOException {
    try {
      if (e.mem.getHoldCount() == 1 && e.lock != null) {
        try {
          e.lock.release();
        } finally {
          e.channel.close();
          e.lock = null;
          e.channel = null;
        }
      }
    } finally {
      e.mem.unlock();
    }
  }

  private static final class Entry {
    final ReentrantLock mem = new ReentrantLock();
    FileLock lock;
    FileChannel channel;

    Entry(String name) {}
  }
}

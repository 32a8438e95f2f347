package io.layerstore.platform;

import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Named locks shared by the threads of this process and by other processes: an in-memory lock
 * orders this process's threads, then an exclusive file lock on {@code <dir>/<name>.lock} orders
 * the processes (file locks belong to processes, so threads must be ordered first). Reentrant
 * within a thread. A lock file is opened only while its in-memory lock is held, because closing any
 * descriptor of a file drops every POSIX lock the process has on it.
 *
 * <p>The one place the store's locks ({@code store.StoreLocks}) and the drivers' mount reference
 * counts take file locks.
 */
public final class FileLocks {

  private final Path dir;
  private final String owner;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  /**
   * @param dir where the lock files are
   * @param owner what the locks belong to, for the message when a second instance in this JVM
   *     collides with the first (e.g. {@code "store /var/lib/docker"})
   */
  public FileLocks(Path dir, String owner) {
    this.dir = dir;
    this.owner = owner;
  }

  /** A held lock; closing releases it. */
  public interface Held extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  /** Where the lock file of {@code name} is. */
  public Path file(String name) {
    return dir.resolve(name + ".lock");
  }

  /** Takes the lock called {@code name}, waiting for other threads and processes. */
  public Held lock(String name) throws IOException {
    Entry e = entries.computeIfAbsent(name, k -> new Entry());
    e.mem.lock();
    try {
      if (e.mem.getHoldCount() == 1) {
        FileChannel ch = open(name);
        try {
          e.lock = lockWaiting(ch, false);
          e.channel = ch;
        } catch (OverlappingFileLockException x) {
          ch.close();
          throw new LayerStoreException(
              "lock "
                  + name
                  + " of "
                  + owner
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
   * returns null at once otherwise.
   */
  public Held tryLock(String name) throws IOException {
    Entry e = entries.computeIfAbsent(name, k -> new Entry());
    if (!e.mem.tryLock()) {
      return null;
    }
    try {
      if (e.mem.getHoldCount() == 1) {
        FileChannel ch = open(name);
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
   * Opens (creating) the lock file of {@code name}. The directory is made only when the open says
   * it is missing: it exists on every lock but the first, and checking first would cost two more
   * system calls on every lock (the mount path takes several).
   */
  private FileChannel open(String name) throws IOException {
    return openCreating(file(name), StandardOpenOption.WRITE);
  }

  /**
   * Opens {@code file} with {@code CREATE} and {@code options}, making its parent directories if
   * they are missing; for lock files, which are opened far more often than their directory is made.
   *
   * @param file the file
   * @param options how to open it, besides {@code CREATE}
   * @return the open channel
   * @throws IOException if it cannot be opened
   */
  public static FileChannel openCreating(Path file, StandardOpenOption... options)
      throws IOException {
    Set<StandardOpenOption> opts = EnumSet.of(StandardOpenOption.CREATE, options);
    try {
      return FileChannel.open(file, opts);
    } catch (NoSuchFileException e) {
      Files.createDirectories(file.getParent());
      return FileChannel.open(file, opts);
    }
  }

  /** Whether a thread of this process holds {@code name} now. */
  public boolean isHeldHere(String name) {
    Entry e = entries.get(name);
    return e != null && e.mem.isLocked();
  }

  /** Forgets {@code name}'s in-memory lock (after its lock file was deleted for good). */
  public void forget(String name) {
    entries.remove(name);
  }

  /**
   * {@link FileChannel#lock()}, retried when the kernel reports a deadlock. POSIX locks belong to
   * processes, not threads, so with several threads in each of two processes the kernel sees a
   * cycle (process A waits for B's lock while B waits for one of A's) where there is none: the
   * thread of A that holds the lock B wants is not the one waiting, and will let go. The wait fails
   * with EDEADLK instead; waiting a little and asking again is right. (A real cycle cannot arise:
   * chain locks are taken in one order, and before the store lock.)
   */
  public static FileLock lockWaiting(FileChannel ch, boolean shared) throws IOException {
    return lockWaiting(ch, 0, Long.MAX_VALUE, shared);
  }

  /**
   * Like {@link #lockWaiting(FileChannel, boolean)}, for the {@code size} bytes at {@code
   * position}: several locks in one file.
   */
  public static FileLock lockWaiting(FileChannel ch, long position, long size, boolean shared)
      throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return ch.lock(position, size, shared);
      } catch (IOException e) {
        String m = e.getMessage();
        if (m == null || !m.toLowerCase(Locale.ROOT).contains("deadlock")) {
          throw e;
        }
        try {
          Thread.sleep(1 + ThreadLocalRandom.current().nextInt(Math.min(50, 2 + attempt * 5)));
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for a file lock");
        }
      }
    }
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
  }
}

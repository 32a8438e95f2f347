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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Named locks shared by the threads of this process and by other processes: an in-memory lock
 * orders this process's threads, then an exclusive file lock on {@code <dir>/<name>.lock} orders
 * the processes (file locks belong to processes, so threads must be ordered first). Reentrant
 * within a thread. A lock file is opened (and closed) only while its in-memory lock is held,
 * because closing any descriptor of a file drops every POSIX lock the process has on it; a lock
 * file that is never deleted may stay open between locks, so the next lock needs no open.
 *
 * <p>The one place the store's locks ({@code store.StoreLocks}) and the drivers' mount reference
 * counts take file locks.
 */
public final class FileLocks {

  /**
   * At most this many lock files are kept open between locks ({@link #FileLocks(Path, String,
   * Predicate)}), so that a process that mounts many layers does not hold a descriptor for each.
   */
  static final int MAX_KEPT_OPEN = 64;

  private final Path dir;
  private final String owner;
  private final Predicate<String> keepOpen;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicInteger keptOpen = new AtomicInteger();

  /**
   * @param dir where the lock files are
   * @param owner what the locks belong to, for the message when a second instance in this JVM
   *     collides with the first (e.g. {@code "store /var/lib/docker"})
   */
  public FileLocks(Path dir, String owner) {
    this(dir, owner, name -> false);
  }

  /**
   * Locks whose files named by {@code keepOpen} stay open between locks (up to {@value
   * #MAX_KEPT_OPEN}): the open, fstat and close of each lock are a tenth of the system calls of a
   * warm mount. Only for lock files that no process ever deletes: a descriptor kept on a deleted
   * file would lock a file nobody else locks.
   *
   * @param dir where the lock files are
   * @param owner what the locks belong to, for messages
   * @param keepOpen the names whose lock files are never deleted
   */
  public FileLocks(Path dir, String owner, Predicate<String> keepOpen) {
    this.dir = dir;
    this.owner = owner;
    this.keepOpen = keepOpen;
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
        FileChannel ch = e.channel != null ? e.channel : open(name);
        try {
          e.lock = lockWaiting(ch, false);
          e.channel = ch;
        } catch (OverlappingFileLockException x) {
          close(e, ch);
          throw new LayerStoreException(
              "lock "
                  + name
                  + " of "
                  + owner
                  + " is held by another LayerStore instance in this JVM; share one instance per root");
        } catch (IOException | RuntimeException x) {
          close(e, ch);
          throw x;
        }
      }
    } catch (IOException | RuntimeException x) {
      e.mem.unlock();
      throw x;
    }
    return () -> release(e, name);
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
        FileChannel ch = e.channel != null ? e.channel : open(name);
        FileLock fl;
        try {
          fl = ch.tryLock();
        } catch (OverlappingFileLockException x) {
          fl = null;
        } catch (IOException | RuntimeException x) {
          close(e, ch);
          throw x;
        }
        if (fl == null) {
          keepOrClose(e, ch, name);
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
    return () -> release(e, name);
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

  /**
   * Whether the calling thread holds {@code name} now.
   *
   * @param name the lock
   * @return whether this thread took it and has not let it go
   */
  public boolean isHeldByCurrentThread(String name) {
    Entry e = entries.get(name);
    return e != null && e.mem.isHeldByCurrentThread();
  }

  /** Forgets {@code name}'s in-memory lock (after its lock file was deleted for good). */
  public void forget(String name) {
    Entry e = entries.remove(name);
    if (e != null) {
      closeIfIdle(e);
    }
  }

  /**
   * Closes the lock files kept open between locks. Call it when the store closes: a descriptor left
   * open would be closed later (by the garbage collector's cleaner, or never), and that close would
   * drop the locks a store reopened in this process has taken on the same file.
   */
  public void closeKept() {
    for (Entry e : entries.values()) {
      closeIfIdle(e);
    }
  }

  /** Closes the kept channel of {@code e} unless a thread holds its lock now. */
  private void closeIfIdle(Entry e) {
    if (!e.mem.tryLock()) {
      return;
    }
    try {
      if (e.kept && e.channel != null) {
        close(e, e.channel);
      }
    } catch (IOException x) {
      // nobody holds a lock through it; a descriptor that would not close holds nothing
    } finally {
      e.mem.unlock();
    }
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

  private void release(Entry e, String name) throws IOException {
    try {
      if (e.mem.getHoldCount() == 1 && e.lock != null) {
        try {
          e.lock.release();
        } finally {
          e.lock = null;
          keepOrClose(e, e.channel, name);
        }
      }
    } finally {
      e.mem.unlock();
    }
  }

  /**
   * After the lock of {@code e} is let go (its in-memory lock still held): keeps {@code ch} open
   * for the next lock if {@code name} may be kept and there is room, else closes it.
   */
  private void keepOrClose(Entry e, FileChannel ch, String name) throws IOException {
    if (e.kept) {
      return; // kept already, and still open
    }
    if (keepOpen.test(name)) {
      if (keptOpen.incrementAndGet() <= MAX_KEPT_OPEN) {
        e.channel = ch;
        e.kept = true;
        return;
      }
      keptOpen.decrementAndGet();
    }
    e.channel = null;
    ch.close();
  }

  /** Closes {@code ch}, the channel of {@code e}, for good. */
  private void close(Entry e, FileChannel ch) throws IOException {
    if (e.kept) {
      e.kept = false;
      keptOpen.decrementAndGet();
    }
    e.channel = null;
    ch.close();
  }

  private static final class Entry {
    final ReentrantLock mem = new ReentrantLock();
    FileLock lock;

    /** Open while the lock is held; between locks too if {@link #kept}. */
    FileChannel channel;

    /** Whether {@link #channel} is one of those kept open between locks. */
    boolean kept;
  }
}

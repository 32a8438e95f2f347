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
 * layerstore/locks/<name>.lock} orders the processes. Reentrant within a thread.
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
        FileChannel ch = FileChannel.open(dir.resolve(name + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
          e.lock = ch.lock();
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

package io.layerstore.store;

import io.layerstore.LayerStoreException;
import io.layerstore.platform.FileLocks;
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
 * The {@code chain-<hex>} locks: one byte of a single file, {@code layerstore/locks/chains.lock},
 * per layer chain (at an offset taken from the chain's digest), instead of a lock file per chain. A
 * load locks every chain of its archive before it knows whether the archive is acceptable, so a
 * file per chain would outlive every refused load, for chains the store never had; and a lock file
 * cannot be deleted safely while another process may be waiting on it (that process would then hold
 * a lock on a file nobody else opens). A byte range leaves nothing behind.
 *
 * <p>Threads of this process are ordered by an in-memory lock per chain first (POSIX locks belong
 * to processes), and every range is locked through the one channel this instance keeps open for its
 * lifetime: closing any descriptor of the file would drop all of the process's locks on it. Two
 * chains share a byte only if their digests agree in their first 60 bits; they would then only wait
 * for each other.
 */
final class ChainLocks {

  private final Path file;
  private final String owner;
  private final ConcurrentHashMap<String, ReentrantLock> mem = new ConcurrentHashMap<>();
  private FileChannel channel; // guarded by this

  /**
   * @param file the lock file ({@code layerstore/locks/chains.lock})
   * @param owner what the locks belong to, for messages
   */
  ChainLocks(Path file, String owner) {
    this.file = file;
    this.owner = owner;
  }

  /** Makes the lock file, so that no later lock adds a file to the store. */
  synchronized void create() throws IOException {
    channel();
  }

  /** Takes the lock of {@code name} ({@code chain-<hex>}), waiting for threads and processes. */
  StoreLocks.Held lock(String name) throws IOException {
    ReentrantLock m = mem.computeIfAbsent(name, k -> new ReentrantLock());
    m.lock();
    return onFile(name, m, (ch, at) -> FileLocks.lockWaiting(ch, at, 1, false));
  }

  /** Takes the lock of {@code name} if no thread or process holds it; null otherwise. */
  StoreLocks.Held tryLock(String name) throws IOException {
    ReentrantLock m = mem.computeIfAbsent(name, k -> new ReentrantLock());
    if (!m.tryLock()) {
      return null;
    }
    return onFile(name, m, (ch, at) -> ch.tryLock(at, 1, false));
  }

  /** Locks the byte of one chain, waiting or not. */
  private interface RangeLocker {
    /** The lock, or null if another process holds the byte (trying only). */
    FileLock lock(FileChannel ch, long at) throws IOException;
  }

  /**
   * With {@code m} held by this thread: the chain's byte too, unless this thread holds it already
   * (reentrant). Gives {@code m} back when the byte cannot be had.
   */
  private StoreLocks.Held onFile(String name, ReentrantLock m, RangeLocker locker)
      throws IOException {
    if (m.getHoldCount() > 1) {
      return m::unlock;
    }
    try {
      FileLock l = locker.lock(channel(), offset(name));
      if (l == null) {
        m.unlock();
        return null;
      }
      return held(m, l);
    } catch (OverlappingFileLockException e) {
      m.unlock();
      throw secondInstance(name);
    } catch (IOException | RuntimeException e) {
      m.unlock();
      throw e;
    }
  }

  private static StoreLocks.Held held(ReentrantLock m, FileLock l) {
    return () -> {
      try {
        l.release();
      } finally {
        m.unlock();
      }
    };
  }

  /** The JVM refuses a range another channel of it holds: a second store instance on the root. */
  private LayerStoreException secondInstance(String name) {
    return new LayerStoreException(
        "lock "
            + name
            + " of "
            + owner
            + " is held by another LayerStore instance in this JVM; share one instance per root");
  }

  /** Closes the file, which releases every range this process holds in it. */
  synchronized void close() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }

  private synchronized FileChannel channel() throws IOException {
    if (channel == null || !channel.isOpen()) {
      Files.createDirectories(file.getParent());
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }
    return channel;
  }

  /** The byte of {@code chain-<hex>}: its first 15 hex digits, so always positive. */
  private static long offset(String name) {
    String hex = name.substring(name.indexOf('-') + 1);
    return Long.parseUnsignedLong(hex.substring(0, Math.min(15, hex.length())), 16);
  }
}

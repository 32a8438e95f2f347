package io.layerstore.store;

import io.layerstore.LayerStoreException;
import io.layerstore.platform.FileLocks;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Locks shared by the threads of this process and by other processes using the same store: an
 * in-memory lock orders this process's threads, then an exclusive file lock on {@code
 * layerstore/locks/<name>.lock} orders the processes. Reentrant within a thread. A lock file is
 * opened only while its in-memory lock is held, because closing any descriptor of a file drops
 * every POSIX lock the process has on it.
 *
 * <p>Names in use: {@code store} (every change of store metadata), {@code chain-<hex>} (a layer
 * being staged, or pinned as the parent of one; a byte of {@code chains.lock} each, see {@link
 * ChainLocks}), {@code claim-<write-set>} (a staging directory in use, see {@link #claim}); {@link
 * MountPins} keeps {@code mounted-<driver id>} beside them.
 *
 * <p>One {@code LayerStore} instance per root and process is expected; a second instance in the
 * same JVM would collide on file locks (the JVM owns file locks per process), which is reported as
 * an error rather than ignored.
 *
 * <p>The locking itself is {@link FileLocks}'s; this class names the store's locks and adds claims.
 */
public final class StoreLocks {

  private final Path dir;
  private final FileLocks locks;
  private final ChainLocks chains;

  public StoreLocks(Path dir) {
    this.dir = dir;
    // <root>/layerstore/locks: messages name the store by its root
    Path parent = dir.getParent();
    String owner =
        "store " + (parent != null && parent.getParent() != null ? parent.getParent() : dir);
    // store.lock is never deleted, and every change and every mount takes it: keep it open
    this.locks = new FileLocks(dir, owner, STORE::equals);
    this.chains = new ChainLocks(dir.resolve(CHAINS_FILE), owner);
  }

  /** The lock that orders every change of store metadata ({@link #store}). */
  private static final String STORE = "store";

  /** The one file that holds every chain lock ({@link ChainLocks}). */
  static final String CHAINS_FILE = "chains.lock";

  /** The prefix of chain lock names, {@code chain-<hex>}. */
  static final String CHAIN_PREFIX = "chain-";

  /** A held lock; closing releases it. */
  public interface Held extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  /** The lock that orders every change of store metadata (layer publish/remove, images, tags). */
  public Held store() throws IOException {
    return lock(STORE);
  }

  /** Whether the calling thread holds the store lock ({@link #store}) now. */
  public boolean holdsStore() {
    return locks.isHeldByCurrentThread(STORE);
  }

  /** Takes the lock called {@code name} (letters, digits, dashes). */
  public Held lock(String name) throws IOException {
    if (name.startsWith(CHAIN_PREFIX)) {
      return chains.lock(name);
    }
    return locks.lock(name)::close;
  }

  /**
   * Takes the lock called {@code name} if nobody (no other thread, no other process) holds it;
   * returns null at once otherwise. For work that may simply be skipped while something is busy
   * (removing a layer that a running load has pinned).
   */
  public Held tryLock(String name) throws IOException {
    if (name.startsWith(CHAIN_PREFIX)) {
      return chains.tryLock(name);
    }
    FileLocks.Held h = locks.tryLock(name);
    return h == null ? null : h::close;
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
      throw new LayerStoreException(
          "claim " + name + " of store " + dir.getParent().getParent() + " is held already");
    }
    return () -> {
      try {
        h.close();
      } finally {
        locks.forget(name);
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
    if (locks.isHeldHere(name)) {
      return true; // held in this JVM: the file must not even be opened (closing it would drop the
      // lock)
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

  /**
   * Makes the lock files every store has ({@code store}, and the one file of the chain locks), so
   * that an operation later adds none: a refused load leaves the store exactly as it was.
   */
  public void create() throws IOException {
    try (Held h = store()) {
      chains.create();
    }
  }

  /**
   * Deletes the per-chain lock files ({@code chain-<hex>.lock}) an earlier version of this library
   * made, for chains the store no longer has; chain locks live in one file now ({@link
   * ChainLocks}), so nothing locks these any more.
   *
   * @param exists whether the store has a chain, by its hex digest
   * @return the files deleted
   */
  public List<Path> removeStaleChainFiles(Predicate<String> exists) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, CHAIN_PREFIX + "*.lock")) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        String hex = n.substring(CHAIN_PREFIX.length(), n.length() - ".lock".length());
        if (!exists.test(hex) && Files.deleteIfExists(p)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /** Releases the chain locks' file (the store is closing). */
  public void close() throws IOException {
    locks.closeKept();
    chains.close();
  }

  /** Deletes the lock file of a claim whose owner is gone. */
  public void forget(String name) throws IOException {
    Files.deleteIfExists(file(name));
  }

  /** {@link FileLocks#lockWaiting}, exclusive: retried on the kernel's false EDEADLK. */
  public static FileLock lockWaiting(FileChannel ch) throws IOException {
    return FileLocks.lockWaiting(ch, false);
  }

  /** Like {@link #lockWaiting(FileChannel)}, shared or exclusive. */
  public static FileLock lockWaiting(FileChannel ch, boolean shared) throws IOException {
    return FileLocks.lockWaiting(ch, shared);
  }

  private Path file(String name) {
    return locks.file(name);
  }
}

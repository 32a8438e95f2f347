package io.layerstore.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The threads that write an unpacker's small regular files while its own thread goes on reading,
 * hashing and checking the next members.
 *
 * <p>Why: loading an image of many small files costs about one inode per member, and on Linux the
 * kernel's part of making an inode (ext4's inode allocator above all) is most of it; one thread
 * doing everything in tar order leaves the second core idle and the reading and hashing waiting for
 * the kernel. Every decision (names, safety checks, duplicates, parents) stays on the unpacker's
 * thread, in tar order; a writer only makes the file it was handed, in a directory that already
 * exists, and sets its metadata.
 *
 * <p>Each directory's files go to one writer (chosen by the directory): the kernel holds a
 * directory's lock while it makes an inode in it, so two threads creating in the same directory
 * only take turns, and pay for the hand-over. Tar order keeps a directory's files together, and the
 * window of {@link #MAX_IN_FLIGHT} files spans many directories of a tree of small files, so the
 * writers work in different directories side by side.
 *
 * <p>At most {@link #MAX_IN_FLIGHT} files wait at a time, so memory stays bounded. The first
 * failure of a writer is thrown by the next {@link #submit} or {@link #await}; after {@link #close}
 * nothing writes any more, so the caller may discard the directory.
 */
final class FileWriters implements AutoCloseable {

  /** One file's work, on a writer thread. */
  interface Task {
    void run() throws IOException;
  }

  static final int MAX_IN_FLIGHT = 512;

  private final ExecutorService[] pools;
  private final Semaphore slots = new Semaphore(MAX_IN_FLIGHT);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean closed;

  FileWriters(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1: " + threads);
    }
    this.pools = new ExecutorService[threads];
    for (int i = 0; i < threads; i++) {
      pools[i] =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "layerstore-unpack");
                t.setDaemon(true);
                return t;
              });
    }
  }

  /**
   * Queues {@code task}, which makes a node in the directory {@code dir} (any key that is equal for
   * the same directory); waits while {@link #MAX_IN_FLIGHT} are pending.
   */
  void submit(Object dir, Task task) throws IOException {
    rethrow();
    acquire(1);
    try {
      pools[Math.floorMod(dir.hashCode(), pools.length)].execute(
          () -> {
            try {
              if (!closed && failure.get() == null) {
                task.run();
              }
            } catch (IOException | RuntimeException | Error e) {
              failure.compareAndSet(null, e);
            } finally {
              slots.release();
            }
          });
    } catch (RuntimeException e) {
      slots.release();
      throw e;
    }
  }

  /** Waits until every queued file is written; throws the first failure. */
  void await() throws IOException {
    acquire(MAX_IN_FLIGHT);
    slots.release(MAX_IN_FLIGHT);
    rethrow();
  }

  /**
   * Stops the writers: queued files are dropped, and this returns only once no writer runs any more
   * (so the directory can be discarded safely). Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    for (ExecutorService pool : pools) {
      pool.shutdown();
    }
    boolean interrupted = false;
    for (ExecutorService pool : pools) {
      while (true) {
        try {
          if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
            break;
          }
        } catch (InterruptedException e) {
          interrupted = true; // a writer still running must not outlive a discard: keep waiting
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void acquire(int n) throws InterruptedIOException {
    try {
      slots.acquire(n);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing a layer's files");
    }
  }

  private void rethrow() throws IOException {
    Throwable t = failure.get();
    if (t == null) {
      return;
    }
    if (t instanceof IOException) {
      throw (IOException) t;
    }
    if (t instanceof RuntimeException) {
      throw (RuntimeException) t;
    }
    throw (Error) t;
  }
}

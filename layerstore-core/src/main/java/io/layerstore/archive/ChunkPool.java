package io.layerstore.archive;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A fixed number of equal buffers that a producer thread fills and a consumer thread gives back,
 * for the streams that hand a layer's bytes from one thread to another ({@link ReadAhead}, {@link
 * OffThreadSha256}).
 *
 * <p>Why not a new array per chunk: the heap then grows by the size of the whole stream, and in a
 * JVM that lives for one command every new heap page is a page fault whose page the kernel zeroes.
 * Profiles of the command line put that at about 80 ms of a 200 MB layer, on the thread that
 * allocated. A few recycled buffers touch their pages once.
 *
 * <p>Buffers are made on demand, up to the count. Only the producer takes; either side may give
 * back.
 */
final class ChunkPool {
  private final int size;
  private final int count;
  private final BlockingQueue<byte[]> free;
  private int made;

  ChunkPool(int count, int size) {
    this.count = count;
    this.size = size;
    this.free = new ArrayBlockingQueue<>(count);
  }

  /** The size of every buffer. */
  int chunkSize() {
    return size;
  }

  /**
   * A free buffer, made if fewer than the count exist, else the first one given back within the
   * timeout; null if none was.
   */
  byte[] take(long timeout, TimeUnit unit) throws InterruptedException {
    byte[] b = free.poll();
    if (b != null) {
      return b;
    }
    if (made < count) {
      made++;
      return new byte[size];
    }
    return free.poll(timeout, unit);
  }

  /** Hands a buffer taken from this pool back. */
  void give(byte[] b) {
    free.add(b);
  }
}

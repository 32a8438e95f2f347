package io.layerstore.archive;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Buffers of one size, given back when used and taken again, for the streams that hand a layer's
 * bytes from one thread to another ({@link ReadAhead}, {@link OffThreadSha256}, {@link
 * ParallelGzip}).
 *
 * <p>Why not a new array per chunk: the heap then grows by the size of the whole stream before a
 * collection reuses any of it, and in a JVM that lives for one command every new heap page is a
 * page fault whose page the kernel zeroes. Profiles of the command line put that at about 80 ms of
 * a 200 MB layer, on the thread that allocated. A few recycled buffers touch their pages once.
 *
 * <p>Taking never waits: with no buffer free, a new one is made. The streams bound how many are in
 * use by their own queues; this keeps up to {@code capacity} of them for reuse. Safe for any number
 * of threads.
 */
final class ChunkPool {
  private final int size;
  private final BlockingQueue<byte[]> free;

  ChunkPool(int capacity, int size) {
    this.size = size;
    this.free = new ArrayBlockingQueue<>(capacity);
  }

  /** A buffer of the pool's size: a free one, else a new one. Its content is undefined. */
  byte[] take() {
    byte[] b = free.poll();
    return b != null ? b : new byte[size];
  }

  /** Gives a buffer back for reuse; one of another size, or beyond the capacity, is dropped. */
  void give(byte[] b) {
    if (b.length == size) {
      free.offer(b);
    }
  }
}

package io.layerstore.archive;

import io.layerstore.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a stream on a thread of its own, a few chunks ahead of its consumer: a layer's inflating
 * (gzip, zstd) and the blob's hashing run while the consumer parses the tar and writes files, so
 * neither waits for the other. One layer then keeps two cores busy, and the layers extracted in
 * parallel overlap their inflating with each other's file writes.
 *
 * <p>At most {@value #DEPTH} chunks of {@value #CHUNK} bytes are read ahead: a decompression bomb
 * gets no further than that before the consumer's limits see it. Whatever the reader thread meets
 * (a corrupt stream, a digest that does not match when the source is closed at its end) is thrown
 * to the consumer, where it would have been thrown without the thread. Closing stops the thread and
 * waits for it, so the source is never used by two threads at once.
 */
public final class ReadAhead extends InputStream {
  static final int CHUNK = 256 * 1024;
  static final int DEPTH = 8;

  private static final Object END = new Object();

  /** A {@link Chunk} read, or {@link #END}, or the {@link Throwable} that stopped the reader. */
  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(DEPTH);

  /** The queued chunks, the one the reader fills and the one the consumer reads. */
  private final ChunkPool buffers = new ChunkPool(DEPTH + 2, CHUNK);

  private final Thread reader;

  /** Hashes every chunk on the reader thread; null if this stream does not hash. */
  private final MessageDigest sha256;

  private Digest digest;

  /** The end was reached without a failure: the whole source was read. */
  private boolean complete;

  private volatile boolean closed;
  private byte[] chunk;
  private int pos;
  private int len;
  private boolean ended;

  /**
   * Starts reading {@code in} on a new daemon thread; {@code in} is closed by that thread at its
   * end (so a check made on close fails this stream) or when this stream is closed.
   *
   * @param in the stream to read ahead
   * @param name what is read, for the thread's name
   */
  public ReadAhead(InputStream in, String name) {
    this(in, name, false);
  }

  /**
   * Like {@link #ReadAhead(InputStream, String)}; with {@code hash}, the reader thread also
   * computes the SHA-256 of everything it reads, which {@link #digest()} gives once the consumer
   * has read to the end. A consumer that must hash what it reads anyway (a layer's diffID) then has
   * it done on the other thread.
   */
  public ReadAhead(InputStream in, String name, boolean hash) {
    sha256 = hash ? Digest.newSha256() : null;
    reader = new Thread(() -> run(in), "layerstore-read-ahead " + name);
    reader.setDaemon(true);
    reader.start();
  }

  private void run(InputStream in) {
    boolean inClosed = false;
    try {
      while (!closed) {
        byte[] b = buffers.take();
        int n = in.readNBytes(b, 0, CHUNK);
        if (n > 0) {
          if (sha256 != null) {
            sha256.update(b, 0, n);
          }
          put(new Chunk(b, n));
        } else {
          buffers.give(b);
        }
        if (n < CHUNK) {
          inClosed = true;
          in.close(); // at the end: its checks must pass before the consumer sees the end
          put(END);
          return;
        }
      }
    } catch (Throwable t) {
      put(t);
    } finally {
      if (!inClosed) {
        try {
          in.close();
        } catch (IOException | RuntimeException e) {
          // the consumer stopped early, or already has the first failure
        }
      }
    }
  }

  /** Hands {@code o} over, giving up once the consumer has closed. */
  private void put(Object o) {
    try {
      while (!closed) {
        if (queue.offer(o, 50, TimeUnit.MILLISECONDS)) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The next chunk, if the current one is used up; false at the end. */
  private boolean fill() throws IOException {
    while (!ended && pos == len) {
      if (chunk != null) {
        buffers.give(chunk);
        chunk = null;
      }
      Object o;
      try {
        o = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for " + reader.getName());
      }
      if (o == END) {
        ended = true;
        complete = true;
      } else if (o instanceof Chunk c) {
        chunk = c.bytes();
        pos = 0;
        len = c.length();
      } else {
        ended = true;
        throw rethrow((Throwable) o);
      }
    }
    return pos < len;
  }

  private static IOException rethrow(Throwable t) {
    if (t instanceof IOException e) {
      return e;
    }
    if (t instanceof UncheckedIOException e) {
      return e.getCause();
    }
    if (t instanceof RuntimeException e) {
      throw e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IOException(t);
  }

  /** {@code length} bytes read into a buffer of {@link #buffers}. */
  private record Chunk(byte[] bytes, int length) {}

  @Override
  public int read() throws IOException {
    return fill() ? chunk[pos++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int n) throws IOException {
    if (n == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int k = Math.min(n, len - pos);
    System.arraycopy(chunk, pos, b, off, k);
    pos += k;
    return k;
  }

  @Override
  public int available() {
    return len - pos;
  }

  /** Whether this stream hashes what it reads ({@link #digest()}). */
  public boolean hashes() {
    return sha256 != null;
  }

  /**
   * The SHA-256 of the whole source.
   *
   * @throws IllegalStateException if this stream does not hash, or its end was not read yet
   */
  public Digest digest() {
    if (sha256 == null || !complete) {
      throw new IllegalStateException(
          sha256 == null
              ? "this read-ahead does not hash"
              : "the digest is known once the stream was read to its end");
    }
    if (digest == null) {
      // the reader thread's last update happened before it queued the end, which this thread took
      digest = Digest.fromBytes(sha256.digest());
    }
    return digest;
  }

  /** Stops the reader thread and waits for it (it closes the source). */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    queue.clear();
    try {
      reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while stopping " + reader.getName());
    }
  }
}

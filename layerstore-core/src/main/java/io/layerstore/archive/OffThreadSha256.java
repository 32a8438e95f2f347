package io.layerstore.archive;

import io.layerstore.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * An output stream that passes every byte on to {@code out} on the caller's thread and computes
 * their SHA-256 on a thread of its own: a rebuilt layer is written and hashed at once, on two
 * cores, where one thread would do both in turn.
 *
 * <p>Bytes are copied for the hashing thread into a few recycled buffers of {@value #CHUNK} bytes,
 * and a buffer goes over only once it is full: a layer of small files is written in many small
 * pieces (a header, a few hundred bytes of content), and one hand-over per piece would cost more
 * than hashing it. At most {@value #DEPTH} full buffers wait; a writer that outruns the hashing
 * waits. {@link #digest()} ends the stream and waits for the hash; {@link #close()} (also after a
 * failure) stops the thread without closing {@code out}, which the caller owns.
 */
public final class OffThreadSha256 extends OutputStream {
  static final int CHUNK = 128 * 1024;
  static final int DEPTH = 8;

  /** The end of the stream: what is left in the last buffer. */
  private record Tail(byte[] bytes, int length) {}

  private final OutputStream out;

  /** Full buffers, then a {@link Tail}. */
  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(DEPTH);

  /** Those queued, the one hashed and the one filled. */
  private final ChunkPool buffers = new ChunkPool(DEPTH + 2, CHUNK);

  private final MessageDigest sha = Digest.newSha256();
  private final Thread hasher;
  private volatile boolean stopped;
  private boolean ended;
  private byte[] filling;
  private int filled;
  private Digest result;

  public OffThreadSha256(OutputStream out) {
    this.out = out;
    this.hasher = new Thread(this::hash, "layerstore-hash");
    hasher.setDaemon(true);
    hasher.start();
  }

  private void hash() {
    try {
      while (true) {
        Object o = queue.take();
        if (o instanceof Tail t) {
          if (!stopped) {
            sha.update(t.bytes(), 0, t.length());
          }
          return;
        }
        byte[] b = (byte[]) o;
        if (!stopped) {
          sha.update(b);
        }
        buffers.give(b);
      }
    } catch (InterruptedException e) {
      // closed early: nobody wants the digest
    }
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (ended) {
      throw new IOException("the digest was already taken");
    }
    out.write(b, off, len);
    while (len > 0) {
      if (filling == null) {
        filling = buffers.take();
        filled = 0;
      }
      int n = Math.min(len, CHUNK - filled);
      System.arraycopy(b, off, filling, filled, n);
      filled += n;
      off += n;
      len -= n;
      if (filled == CHUNK) {
        enqueue(filling);
        filling = null;
      }
    }
  }

  /** Ends the stream and returns the SHA-256 of everything written. */
  public Digest digest() throws IOException {
    if (result == null) {
      if (ended) {
        throw new IOException("closed before its digest was taken");
      }
      ended = true;
      enqueue(filling == null ? new Tail(new byte[0], 0) : new Tail(filling, filled));
      filling = null;
      try {
        hasher.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while hashing");
      }
      result = Digest.fromBytes(sha.digest());
    }
    return result;
  }

  private void enqueue(Object o) throws IOException {
    try {
      queue.put(o);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while hashing");
    }
  }

  /** The hashing thread, for tests. */
  Thread thread() {
    return hasher;
  }

  /** Stops the hashing thread if the digest was not taken; {@code out} stays open. */
  @Override
  public void close() {
    if (!ended) {
      ended = true;
      stopped = true;
      hasher.interrupt();
    }
  }
}

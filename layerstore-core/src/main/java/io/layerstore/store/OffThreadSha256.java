package io.layerstore.store;

import io.layerstore.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * An output stream that passes every byte on to {@code out} on the caller's thread and computes
 * their SHA-256 on a thread of its own: a rebuilt layer is written and hashed at once, on two
 * cores, where one thread would do both in turn.
 *
 * <p>Bytes are copied for the hashing thread, which keeps at most {@value #DEPTH} chunks queued; a
 * writer that outruns it waits. {@link #digest()} ends the stream and waits for the hash; {@link
 * #close()} (also after a failure) stops the thread without closing {@code out}, which the caller
 * owns.
 */
final class OffThreadSha256 extends OutputStream {
  private static final int DEPTH = 8;
  private static final byte[] END = new byte[0];

  private final OutputStream out;
  private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(DEPTH);
  private final MessageDigest sha = Digest.newSha256();
  private final Thread hasher;
  private volatile boolean stopped;
  private boolean ended;
  private Digest result;

  OffThreadSha256(OutputStream out) {
    this.out = out;
    this.hasher = new Thread(this::hash, "layerstore-hash");
    hasher.setDaemon(true);
    hasher.start();
  }

  private void hash() {
    try {
      for (byte[] b = queue.take(); b != END; b = queue.take()) {
        if (!stopped) {
          sha.update(b);
        }
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
    if (len == 0) {
      return;
    }
    out.write(b, off, len);
    enqueue(Arrays.copyOfRange(b, off, off + len));
  }

  /** Ends the stream and returns the SHA-256 of everything written. */
  Digest digest() throws IOException {
    if (result == null) {
      if (ended) {
        throw new IOException("closed before its digest was taken");
      }
      ended = true;
      enqueue(END);
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

  private void enqueue(byte[] b) throws IOException {
    try {
      queue.put(b);
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

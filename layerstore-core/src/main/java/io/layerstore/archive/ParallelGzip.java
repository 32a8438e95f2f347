package io.layerstore.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip stream compressed on several threads whose bytes depend on the input alone: the same layer
 * gives the same blob, so the same digest, on every machine and for any number of threads (a
 * registry then dedupes it, and a push of the same image twice uploads nothing new).
 *
 * <p>As pigz does it: the input is cut into {@value #BLOCK}-byte blocks at fixed offsets (never
 * where a caller's writes happen to end); each block is deflated on its own, at level {@value
 * #LEVEL}, primed with the previous block's last {@value #WINDOW} bytes as a preset dictionary, so
 * it compresses almost as well as one stream; every block but the last ends with a sync flush
 * (which byte-aligns it and never sets the final bit), the last one finishes the deflate stream.
 * Concatenated, the blocks are one valid deflate stream. The header is Go's ({@code
 * compress/gzip}): modification time 0, no name, XFL 0 for level 6, OS 255 — what Docker and
 * containerd write for a layer.
 *
 * <p>The CRC-32 is computed here, on the writing thread, in input order: the JDK's CRC32 runs at
 * several GB/s, far above deflate's speed, so combining per-block CRCs would gain nothing.
 *
 * <p>At most {@code 2 × threads} blocks are in flight, so memory stays bounded whatever the layer's
 * size. Caveat: the deflate bytes are zlib's; a JDK linked against another deflate implementation
 * (zlib-ng) gives other, equally valid, bytes.
 */
public final class ParallelGzip extends OutputStream {

  /** The uncompressed length of each independently compressed block, as pigz's default. */
  public static final int BLOCK = 128 * 1024;

  /** Deflate's window: how much of the previous block primes the next. */
  static final int WINDOW = 32 * 1024;

  /** The compression level, fixed: gzip's and Go's default. */
  public static final int LEVEL = 6;

  private static final byte[] HEADER = {
    0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff,
  };

  private final OutputStream out;
  private final Executor executor;
  private final int maxInFlight;
  private final Deque<FutureTask<byte[]>> inFlight = new ArrayDeque<>();
  private final CRC32 crc = new CRC32();
  private byte[] block = new byte[BLOCK];
  private int filled;
  private byte[] dictionary; // the previous block's last WINDOW bytes, null for the first
  private long total;
  private boolean closed;

  /**
   * Starts a gzip stream into {@code out}.
   *
   * @param out where the compressed bytes go, in order; closed by {@link #close()}
   * @param executor runs the block compressions
   * @param threads how many blocks may compress at once (at least 1)
   * @throws IOException if the header cannot be written
   */
  public ParallelGzip(OutputStream out, Executor executor, int threads) throws IOException {
    this.out = out;
    this.executor = executor;
    this.maxInFlight = 2 * Math.max(1, threads);
    out.write(HEADER);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("gzip stream closed");
    }
    crc.update(b, off, len);
    total += len;
    while (len > 0) {
      if (filled == BLOCK) {
        // A full block is compressed only once more input shows it is not the last: the last
        // block must finish the stream, and which one is last is known only at close.
        submit(false);
      }
      int n = Math.min(len, BLOCK - filled);
      System.arraycopy(b, off, block, filled, n);
      filled += n;
      off += n;
      len -= n;
    }
  }

  private void submit(boolean last) throws IOException {
    byte[] data = block;
    int length = filled;
    byte[] dict = dictionary;
    // Only full blocks have a successor, and a full block is longer than the window.
    dictionary = last ? null : Arrays.copyOfRange(data, length - WINDOW, length);
    FutureTask<byte[]> task = new FutureTask<>(() -> deflate(data, length, dict, last));
    inFlight.add(task);
    executor.execute(task);
    block = new byte[BLOCK];
    filled = 0;
    while (inFlight.size() >= maxInFlight) {
      drainOne();
    }
  }

  private static byte[] deflate(byte[] data, int length, byte[] dict, boolean last) {
    Deflater d = new Deflater(LEVEL, true);
    try {
      if (dict != null) {
        d.setDictionary(dict);
      }
      d.setInput(data, 0, length);
      if (last) {
        d.finish();
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(length / 2 + 64);
      byte[] buf = new byte[64 * 1024];
      int flush = last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH;
      while (true) {
        int n = d.deflate(buf, 0, buf.length, flush);
        bytes.write(buf, 0, n);
        // A sync flush is complete once it leaves room in the buffer (Deflater's contract).
        if (last ? d.finished() : n < buf.length) {
          break;
        }
      }
      return bytes.toByteArray();
    } finally {
      d.end();
    }
  }

  private void drainOne() throws IOException {
    FutureTask<byte[]> head = inFlight.removeFirst();
    try {
      out.write(head.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancelAll();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      cancelAll();
      throw new IOException("compressing a block failed", e.getCause());
    }
  }

  private void cancelAll() {
    inFlight.forEach(t -> t.cancel(true));
    inFlight.clear();
  }

  /**
   * Does nothing: a block is compressed only when full (or at close), so that its bounds, and with
   * them the output, never depend on when a caller flushes.
   */
  @Override
  public void flush() {}

  /**
   * Compresses the last block, writes everything in order, the trailer (CRC-32 and length modulo
   * 2³², little-endian), and closes the underlying stream.
   *
   * @throws IOException if a block failed or the output cannot be written
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      submit(true); // the last block: what is buffered, possibly nothing

      while (!inFlight.isEmpty()) {
        drainOne();
      }
      long c = crc.getValue();
      out.write(
          new byte[] {
            (byte) c,
            (byte) (c >>> 8),
            (byte) (c >>> 16),
            (byte) (c >>> 24),
            (byte) total,
            (byte) (total >>> 8),
            (byte) (total >>> 16),
            (byte) (total >>> 24)
          });
    } finally {
      cancelAll();
      out.close();
    }
  }
}

package io.layerstore.archive;

import io.layerstore.PushOptions;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * where a caller's writes happen to end); each block is deflated on its own, at one fixed level
 * ({@value #DEFAULT_LEVEL} unless a caller asks for another), primed with the previous block's last
 * {@value #WINDOW} bytes as a preset dictionary, so it compresses almost as well as one stream;
 * every block but the last ends with a sync flush (which byte-aligns it and never sets the final
 * bit), the last one finishes the deflate stream. Concatenated, the blocks are one valid deflate
 * stream. The header is Go's ({@code compress/gzip}): modification time 0, no name, OS 255, and XFL
 * as Go sets it (4 for level 1, 2 for level 9, else 0) — what Docker, containerd and
 * go-containerregistry write for a layer.
 *
 * <p>Why level {@value #DEFAULT_LEVEL} by default: deflate is nearly all of a push's CPU time.
 * Measured on a 280 MB layer (a tar of {@code /usr/share/doc} and {@code /usr/share/locale}), one
 * core of this JDK's zlib (blocks and dictionaries as here; medians of 3 rounds on a busy machine)
 * deflates 90 MB/s at level 1, 66 MB/s at level 3, 22.5 MB/s at level 6 and 12.4 MB/s at level 9,
 * and the blob is 45.8 %, 44.1 %, 42.3 % and 42.1 % of the tar: level 6 costs four times the CPU of
 * level 1 to save 8 % of the bytes, which on a LAN or loopback registry is a loss.
 * go-containerregistry (crane, ko) compresses layers with {@code gzip.BestSpeed} (level 1) for this
 * reason; docker and Jib use level 6. The level is one constant, never chosen per machine, so the
 * same layer gives the same blob everywhere (a build's kept blobs and a push use this same
 * constant); a user who prefers smaller blobs asks for another level explicitly.
 *
 * <p>The CRC-32 is computed here, on the writing thread, in input order: the JDK's CRC32 runs at
 * several GB/s, far above deflate's speed, so combining per-block CRCs would gain nothing.
 *
 * <p>At level 1, the default, blocks are deflated by {@link BlockDeflater}, this library's own: the
 * same bytes on every machine, whatever zlib the platform has (zlib and zlib-ng deflate the same
 * input into different bytes, and zlib-ng differently on different CPUs), and about twice zlib's
 * level-1 speed for a blob a few per cent larger. Other levels are the platform's zlib ({@link
 * Deflater}), whose bytes are the same only where the zlib is.
 *
 * <p>At most {@code 2 × threads} blocks are in flight, so memory stays bounded whatever the layer's
 * size.
 */
public final class ParallelGzip extends OutputStream {

  /** The uncompressed length of each independently compressed block, as pigz's default. */
  public static final int BLOCK = 128 * 1024;

  /** Deflate's window: how much of the previous block primes the next. */
  static final int WINDOW = 32 * 1024;

  /**
   * The level every layer blob this library makes is compressed at, unless a caller asks for
   * another: {@link PushOptions#DEFAULT_GZIP_LEVEL}, the one constant (see the class comment for
   * the figures).
   */
  public static final int DEFAULT_LEVEL = PushOptions.DEFAULT_GZIP_LEVEL;

  private final OutputStream out;
  private final Executor executor;
  private final int level;
  private final int maxInFlight;
  private final Deque<FutureTask<Compressed>> inFlight = new ArrayDeque<>();

  /**
   * Deflaters whose blocks are done, reset for the next block: a fresh one allocates and clears
   * zlib's window and hash tables (about 300 KB at level 1) for every 128 KB block; a reset one
   * compresses exactly as a fresh one does. Ended at close.
   */
  private final Queue<Deflater> idle = new ConcurrentLinkedQueue<>();

  /** Input blocks: those in flight and the one being filled ({@link ChunkPool} says why). */
  private final ChunkPool blocks;

  /** Compressed blocks: one per block in flight, each room for a block that does not compress. */
  private final ChunkPool outputs;

  /** The last {@code WINDOW} bytes of each block in flight, its successor's dictionary. */
  private final ChunkPool dictionaries;

  private final CRC32 crc = new CRC32();
  private byte[] block;
  private int filled;
  private byte[] dictionary; // the previous block's last WINDOW bytes, null for the first
  private long total;
  private boolean closed;

  /**
   * Starts a gzip stream into {@code out} at {@link #DEFAULT_LEVEL}.
   *
   * @param out where the compressed bytes go, in order; closed by {@link #close()}
   * @param executor runs the block compressions
   * @param threads how many blocks may compress at once (at least 1)
   * @throws IOException if the header cannot be written
   */
  public ParallelGzip(OutputStream out, Executor executor, int threads) throws IOException {
    this(out, executor, threads, DEFAULT_LEVEL);
  }

  /**
   * Starts a gzip stream into {@code out} at {@code level}.
   *
   * @param out where the compressed bytes go, in order; closed by {@link #close()}
   * @param executor runs the block compressions
   * @param threads how many blocks may compress at once (at least 1)
   * @param level the deflate level, 1 (fastest) to 9 (smallest)
   * @throws IllegalArgumentException if {@code level} is not 1 to 9
   * @throws IOException if the header cannot be written
   */
  public ParallelGzip(OutputStream out, Executor executor, int threads, int level)
      throws IOException {
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("gzip level " + level + " is not between 1 and 9");
    }
    this.out = out;
    this.executor = executor;
    this.level = level;
    this.maxInFlight = 2 * Math.max(1, threads);
    this.blocks = new ChunkPool(maxInFlight + 1, BLOCK);
    this.outputs = new ChunkPool(maxInFlight, OUTPUT);
    this.dictionaries = new ChunkPool(maxInFlight + 1, WINDOW);
    this.block = blocks.take();
    out.write(header(level));
  }

  /** Go's {@code compress/gzip} header for {@code level}: only XFL depends on it. */
  private static byte[] header(int level) {
    byte xfl = (byte) (level == 1 ? 4 : level == 9 ? 2 : 0);
    return new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, xfl, (byte) 0xff};
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
    if (last) {
      dictionary = null;
    } else {
      dictionary = dictionaries.take();
      System.arraycopy(data, length - WINDOW, dictionary, 0, WINDOW);
    }
    FutureTask<Compressed> task = new FutureTask<>(() -> deflate(data, length, dict, last));
    inFlight.add(task);
    executor.execute(task);
    block = blocks.take();
    filled = 0;
    while (inFlight.size() >= maxInFlight) {
      drainOne();
    }
  }

  /**
   * Room for a compressed block that did not compress (stored blocks cost 5 bytes per 64 KB) and
   * the flush marker.
   */
  private static final int OUTPUT = Math.max(BLOCK + BLOCK / 8192 + 64, BlockDeflater.bound(BLOCK));

  /** A compressed block: the first {@code length} bytes of {@code bytes}. */
  private record Compressed(byte[] bytes, int length) {}

  private Compressed deflate(byte[] data, int length, byte[] dict, boolean last) {
    if (level == OWN_LEVEL) {
      return deflateOwn(data, length, dict, last);
    }
    Deflater d = idle.poll();
    if (d == null) {
      d = new Deflater(level, true);
    }
    try {
      if (dict != null) {
        d.setDictionary(dict);
        dictionaries.give(dict);
      }
      d.setInput(data, 0, length);
      if (last) {
        d.finish();
      }
      // Grown if ever too small, so no intermediate buffer and no copy at the end.
      byte[] out = outputs.take();
      int n = 0;
      int flush = last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH;
      while (true) {
        n += d.deflate(out, n, out.length - n, flush);
        // A sync flush is complete once it leaves room in the buffer (Deflater's contract).
        if (last ? d.finished() : n < out.length) {
          break;
        }
        out = Arrays.copyOf(out, out.length * 2);
      }
      d.reset();
      idle.add(d);
      d = null;
      blocks.give(data);
      return new Compressed(out, n);
    } finally {
      if (d != null) {
        d.end(); // failed midway: its state is unknown, so it is not reused
      }
    }
  }

  /** The level {@link BlockDeflater} serves: the fastest, and the default. */
  private static final int OWN_LEVEL = 1;

  /** Deflaters of ours, idle between blocks (their tables are reused, not reallocated). */
  private final Queue<BlockDeflater> idleOwn = new ConcurrentLinkedQueue<>();

  private Compressed deflateOwn(byte[] data, int length, byte[] dict, boolean last) {
    BlockDeflater d = idleOwn.poll();
    if (d == null) {
      d = new BlockDeflater();
    }
    byte[] out = outputs.take();
    int n = d.deflate(dict, data, length, last, out);
    idleOwn.add(d); // not on failure: a deflater that threw is dropped
    if (dict != null) {
      dictionaries.give(dict);
    }
    blocks.give(data);
    return new Compressed(out, n);
  }

  private void drainOne() throws IOException {
    FutureTask<Compressed> head = inFlight.removeFirst();
    try {
      Compressed c = head.get();
      out.write(c.bytes(), 0, c.length());
      outputs.give(c.bytes());
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
      for (Deflater d; (d = idle.poll()) != null; ) {
        d.end();
      }
      out.close();
    }
  }
}

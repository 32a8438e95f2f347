package io.layerstore.store;

import io.layerstore.Digest;
import io.layerstore.TransferEvent;
import io.layerstore.TransferListener;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the bytes of one blob as they pass and reports them ({@link
 * TransferEvent.Kind#DOWNLOADING} or {@link TransferEvent.Kind#PUSHING}), at most every {@value
 * #STEP} bytes so that a listener drawing a terminal is not called per read. At the end of a
 * download it reports that the blob is verified (the stream below checks its digest before it
 * signals the end) and that the layer's last files are being unpacked.
 *
 * <p>Closing a download reads what the reader left (a gzip trailer, padding after the tar) unless a
 * read failed: the registry stream checks the digest only at its end, and a layer must not be kept
 * whose bytes were never all checked.
 */
final class ProgressStream extends FilterInputStream {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressStream.class);

  /** Report at most this often. */
  static final long STEP = 256 * 1024;

  private final Digest blob;
  private final long total;
  private final TransferEvent.Kind kind;
  private final Consumer<TransferEvent> sink;
  private long count;
  private long reported = -STEP;
  private boolean ended;
  private boolean failed;

  private ProgressStream(
      InputStream in,
      Digest blob,
      long total,
      TransferEvent.Kind kind,
      Consumer<TransferEvent> sink) {
    super(in);
    this.blob = blob;
    this.total = total;
    this.kind = kind;
    this.sink = sink;
  }

  /**
   * {@code listener} as a sink that never fails the transfer: what the user sees must not stop what
   * the user asked for, so a listener's exception is logged and forgotten.
   */
  static Consumer<TransferEvent> safely(TransferListener listener) {
    return e -> {
      try {
        listener.onEvent(e);
      } catch (RuntimeException ex) {
        LOG.warn("progress listener failed on {}: {}", e, ex.toString());
      }
    };
  }

  /** A download of {@code total} bytes of {@code blob}. */
  static ProgressStream download(
      InputStream in, Digest blob, long total, Consumer<TransferEvent> sink) {
    return new ProgressStream(in, blob, total, TransferEvent.Kind.DOWNLOADING, sink);
  }

  /** An upload's bytes, read from {@code in} as they are sent. */
  static ProgressStream upload(
      InputStream in, Digest blob, long total, Consumer<TransferEvent> sink) {
    return new ProgressStream(in, blob, total, TransferEvent.Kind.PUSHING, sink);
  }

  /**
   * {@code out} counting the bytes of the layer (uncompressed, as docker counts a push) written
   * through it towards {@code total}, as {@link TransferEvent.Kind#PUSHING} of {@code blob}.
   */
  static OutputStream pushing(
      OutputStream out, Digest blob, long total, Consumer<TransferEvent> sink) {
    return new FilterOutputStream(out) {
      private long count;
      private long reported;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        count += len;
        if (count - reported >= STEP) {
          reported = count;
          sink.accept(new TransferEvent(TransferEvent.Kind.PUSHING, blob, count, total, ""));
        }
      }
    };
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n;
    try {
      n = in.read(b, off, len);
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
    if (n < 0) {
      end();
      return -1;
    }
    count += n;
    if (count - reported >= STEP) {
      reported = count;
      sink.accept(new TransferEvent(kind, blob, count, total, ""));
    }
    return n;
  }

  /** Skipped bytes are read, so they are counted and (below) hashed. */
  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(n, 64 * 1024)];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  private void end() {
    if (ended) {
      return;
    }
    ended = true;
    sink.accept(new TransferEvent(kind, blob, count, total, ""));
    if (kind == TransferEvent.Kind.DOWNLOADING) {
      sink.accept(TransferEvent.of(TransferEvent.Kind.VERIFYING, blob, total));
      sink.accept(TransferEvent.of(TransferEvent.Kind.EXTRACTING, blob, total));
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (kind == TransferEvent.Kind.DOWNLOADING && !ended && !failed) {
        skip(Long.MAX_VALUE);
      }
    } finally {
      in.close();
    }
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}

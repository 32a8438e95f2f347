package io.layerstore.tarsplit;

import io.layerstore.InvalidArchiveException;
import io.layerstore.gocompat.GoJson;
import io.layerstore.gocompat.TarPaths;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a {@code tar-split.json.gz}: gzip of one JSON object per line, in the field order, quoting
 * and {@code null}/omission rules of tar-split v0.11 under Go's {@code encoding/json}, so the
 * uncompressed text equals what Docker writes for the same layer.
 *
 * <p>Like tar-split's packer, a second file entry whose name cleans to an already written one is
 * refused: Docker rejects such layers ("duplicates of file paths not supported"), and a layer we
 * accepted but Docker could not read back would be a trap.
 */
public final class TarSplitWriter implements Closeable {

  private static final byte[] SEGMENT_START =
      "{\"type\":2,\"payload\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  private final OutputStream target;
  private final GZIPOutputStream gzip;
  private final OutputStream out;
  private final String source;
  private final Set<String> seen;
  private final StringBuilder line = new StringBuilder(256);
  private int position;
  private boolean finished;

  /**
   * @param target receives the gzip bytes; closed by {@link #close()}, left open by {@link
   *     #finish()}
   * @param source names the layer in error messages
   */
  public TarSplitWriter(OutputStream target, String source) throws IOException {
    this(target, source, true);
  }

  /**
   * @param refuseDuplicates false when the caller has already refused duplicate names (a reader
   *     that checks them before handing out the member), to keep one set of names
   */
  public TarSplitWriter(OutputStream target, String source, boolean refuseDuplicates)
      throws IOException {
    this.target = target;
    this.source = source;
    this.seen = refuseDuplicates ? new HashSet<>() : null;
    this.gzip = fastGzip(target);
    this.out = new BufferedOutputStream(gzip, 1 << 16);
  }

  /**
   * Gzip at level 1: the record is written once per layer on every load and pull and read back only
   * by a save or a push, and level 1 deflates this JSON in about half of level 6's CPU time
   * (measured: 8.4 MB of a Debian image's records, 40 against 70 ms) for a file a quarter larger.
   * Docker reads either; only the uncompressed text has to be Docker's.
   */
  private static GZIPOutputStream fastGzip(OutputStream target) throws IOException {
    return new GZIPOutputStream(target, 1 << 16) {
      {
        def.setLevel(Deflater.BEST_SPEED);
      }
    };
  }

  /** Adds a segment of raw tar bytes (may be empty: tar-split ends every file with one). */
  public void segment(byte[] bytes, int off, int len) throws IOException {
    checkOpen();
    out.write(SEGMENT_START);
    if (len > 0) {
      ByteBuffer b64 = BASE64.encode(ByteBuffer.wrap(bytes, off, len));
      out.write(b64.array(), b64.arrayOffset() + b64.position(), b64.remaining());
    }
    line.setLength(0);
    line.append("\",\"position\":").append(position++).append("}\n");
    writeLine();
  }

  /**
   * Adds a file entry.
   *
   * @param name the member name as the tar reader resolved it
   * @param size the header's size
   * @param crc the 8-byte CRC-64 of the content read, or null (written as {@code null}); tar-split
   *     stores null exactly when size is 0
   * @throws InvalidArchiveException if a file entry with the same cleaned name was written before
   */
  public void file(String name, long size, byte[] crc) throws IOException {
    checkOpen();
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size + " for " + name);
    }
    if (seen != null && !seen.add(TarPaths.clean(name))) {
      throw new InvalidArchiveException(source, name, "duplicates of file paths not supported");
    }
    line.setLength(0);
    line.append("{\"type\":1");
    if (!name.isEmpty()) {
      line.append(",\"name\":");
      GoJson.appendQuoted(line, name);
    }
    if (size != 0) {
      line.append(",\"size\":").append(size);
    }
    line.append(",\"payload\":");
    if (crc == null) {
      line.append("null");
    } else {
      line.append('"').append(BASE64.encodeToString(crc)).append('"');
    }
    line.append(",\"position\":").append(position++).append("}\n");
    writeLine();
  }

  /** Writes an entry read elsewhere (its position is renumbered to this file's order). */
  public void write(TarSplitEntry e) throws IOException {
    if (e.isSegment()) {
      byte[] p = e.payload() == null ? new byte[0] : e.payload();
      segment(p, 0, p.length);
    } else if (e.nameRaw() != null) {
      throw new InvalidArchiveException(source, null, "file entry with a non-UTF-8 name");
    } else {
      file(e.name(), e.size(), e.payload());
    }
  }

  /** Number of entries written so far. */
  public int entries() {
    return position;
  }

  /** Ends the gzip stream and flushes it, without closing the target. */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    finished = true;
    out.flush();
    gzip.finish();
    target.flush();
  }

  /** {@link #finish()}, then closes the target. */
  @Override
  public void close() throws IOException {
    try {
      finish();
    } finally {
      target.close();
    }
  }

  private void writeLine() throws IOException {
    out.write(line.toString().getBytes(StandardCharsets.UTF_8));
  }

  private void checkOpen() {
    if (finished) {
      throw new IllegalStateException("tar-split writer already finished");
    }
  }
}

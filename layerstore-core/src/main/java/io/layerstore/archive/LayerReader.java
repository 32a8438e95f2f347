package io.layerstore.archive;

import io.layerstore.DiffId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.gocompat.TarPaths;
import io.layerstore.tarsplit.Crc64;
import io.layerstore.tarsplit.TarSplitWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an uncompressed layer tar once and, in that same pass, computes its diffID (sha256 of every
 * byte, end blocks and anything after them included), records its tar-split (so the layer can later
 * be rebuilt byte for byte from the extracted files) and counts it. Nothing is buffered whole and
 * no byte is read twice; the caller extracts members as they come.
 *
 * <pre>{@code
 * try (LayerReader r = new LayerReader(in, "layer 2 of app.tar", tarSplitOut, limit)) {
 *   for (TarHeader h = r.next(); h != null; h = r.next()) {
 *     extract(h, r.content());
 *   }
 *   LayerReader.Result result = r.finish();   // diffID, sizes; tar-split is complete
 * }
 * }</pre>
 *
 * <p>The tar-split record follows tar-split v0.11 as Docker uses it: for each member, one segment
 * with the raw bytes since the previous content ended, then a file entry (CRC-64 of the content
 * when the header's size is not 0); after the last member, one segment with the end blocks as read,
 * the rest of the stream in segments of at most 1 MiB, and a final empty segment.
 */
public final class LayerReader implements Closeable {

  /** No limit on the uncompressed size. */
  public static final long UNLIMITED = Long.MAX_VALUE;

  private static final Logger LOG = LoggerFactory.getLogger(LayerReader.class);
  private static final int TRAILER_CHUNK = 1 << 20;

  /**
   * What one pass over a layer found.
   *
   * @param diffId sha256 of the whole uncompressed stream
   * @param tarSize bytes in the uncompressed stream
   * @param contentSize bytes of member content (regular file data) in it
   * @param entries members returned (PAX global headers count as members, as in Go)
   * @param trailingSize bytes after the end-of-archive marker
   */
  public record Result(
      DiffId diffId, long tarSize, long contentSize, int entries, long trailingSize) {}

  private final DigestingInputStream input;
  private final ReadAhead hashedAhead;
  private final TarReader tar;
  private final TarSplitWriter tarSplit;
  private final Set<String> seen = new HashSet<>();
  private final String source;
  private final Crc64 crc = new Crc64();
  private byte[] segment = new byte[4096];
  private int segmentLen;
  private long contentSize;
  private int entries;
  private String pendingName;
  private long pendingSize;
  private boolean ended;
  private Result result;

  /**
   * @param uncompressed the layer tar, already decompressed; closed by {@link #close()}
   * @param source names the layer in error messages
   * @param tarSplit receives {@code tar-split.json.gz}, or null to record none; it is finished but
   *     not closed by {@link #finish()}
   * @param maxBytes largest uncompressed size accepted ({@link #UNLIMITED} for none)
   */
  public LayerReader(InputStream uncompressed, String source, OutputStream tarSplit, long maxBytes)
      throws IOException {
    this(uncompressed, source, tarSplit, maxBytes, null);
  }

  /**
   * Like the other constructor, with the reason given when the limit is hit (e.g. that it is what
   * is left of a per-image budget); null for the per-layer wording.
   */
  public LayerReader(
      InputStream uncompressed,
      String source,
      OutputStream tarSplit,
      long maxBytes,
      String limitReason)
      throws IOException {
    this(uncompressed, source, tarSplit, maxBytes, limitReason, null);
  }

  /**
   * Like the other constructors, for an input that {@code hashedAhead} already hashes as it reads
   * it on its own thread: {@code uncompressed} must give exactly the bytes {@code hashedAhead}
   * reads (it may count them on the way), and the diffID is then its digest, so this thread does
   * not hash at all.
   *
   * @param hashedAhead a hashing read-ahead under {@code uncompressed}, or null to hash here
   */
  public LayerReader(
      InputStream uncompressed,
      String source,
      OutputStream tarSplit,
      long maxBytes,
      String limitReason,
      ReadAhead hashedAhead)
      throws IOException {
    if (hashedAhead != null && !hashedAhead.hashes()) {
      throw new IllegalArgumentException("the read-ahead does not hash");
    }
    this.hashedAhead = hashedAhead;
    this.input =
        new DigestingInputStream(uncompressed, source, maxBytes, limitReason, hashedAhead == null);
    this.tar = new TarReader(input, source, new Recorder());
    this.tarSplit = tarSplit == null ? null : new TarSplitWriter(tarSplit, source, false);
    this.source = source;
  }

  /**
   * The next member, its content's CRC and tar-split entries recorded for the previous one; null
   * after the last.
   */
  public TarHeader next() throws IOException {
    if (result != null) {
      throw new IllegalStateException("layer already finished");
    }
    if (ended) {
      return null;
    }
    TarHeader h = tar.next();
    recordPendingFile();
    flushSegment();
    if (h == null) {
      ended = true;
      return null;
    }
    if (!seen.add(TarPaths.clean(h.name()))) {
      // as tar-split refuses them; checked before the member is handed out, so nothing of it
      // gets extracted, and whether or not a record is kept
      throw new InvalidArchiveException(source, h.name(), "duplicates of file paths not supported");
    }
    entries++;
    pendingName = h.name();
    // What follows the header, not what its size field says: Go's tar-split records the size
    // field even for members that have no content (a directory or link whose header claims bytes),
    // and such a record can never be reassembled (Docker's save then fails its integrity check).
    // Recording the content that is really there keeps every accepted layer saveable byte for
    // byte, and is the same record as Go's for every well-formed layer.
    pendingSize = h.size();
    if (tar.declaredSize() != h.size()) {
      LOG.debug(
          "{}: {} declares {} bytes but has no content; recorded as 0",
          source,
          h.name(),
          tar.declaredSize());
    }
    crc.reset();
    return h;
  }

  /** Content of the current member; whatever is not read is still hashed and checksummed. */
  public InputStream content() {
    return tar.content();
  }

  /**
   * Reads the rest of the layer (remaining members, end blocks, anything after them) to the end of
   * the input, completes the tar-split record and returns the diffID and sizes.
   */
  public Result finish() throws IOException {
    if (result != null) {
      return result;
    }
    while (next() != null) {
      // members the caller did not want still belong to the diffID and the record
    }
    long trailing = 0;
    InputStream rest = tar.remainder();
    int first = rest.read();
    if (first >= 0) {
      byte[] chunk = new byte[TRAILER_CHUNK];
      chunk[0] = (byte) first;
      int n = 1 + rest.readNBytes(chunk, 1, TRAILER_CHUNK - 1);
      while (true) {
        trailing += n;
        if (tarSplit != null) {
          tarSplit.segment(chunk, 0, n);
        }
        if (n < TRAILER_CHUNK) {
          break;
        }
        n = rest.readNBytes(chunk, 0, TRAILER_CHUNK);
        if (n == 0) {
          break;
        }
      }
    }
    if (tarSplit != null) {
      tarSplit.segment(new byte[0], 0, 0);
      tarSplit.finish();
    }
    DiffId diffId = new DiffId(hashedAhead != null ? hashedAhead.digest() : input.digest());
    result = new Result(diffId, input.count(), contentSize, entries, trailing);
    LOG.debug(
        "{}: {} bytes, {} members, {} trailing bytes, {}",
        source,
        result.tarSize(),
        entries,
        trailing,
        result.diffId());
    return result;
  }

  /** Closes the input (not the tar-split target). */
  @Override
  public void close() throws IOException {
    input.close();
  }

  private void recordPendingFile() throws IOException {
    if (pendingName == null) {
      return;
    }
    if (tarSplit != null) {
      tarSplit.file(pendingName, pendingSize, pendingSize > 0 ? crc.toBytes() : null);
    }
    pendingName = null;
  }

  private void flushSegment() throws IOException {
    if (segmentLen > 0 && tarSplit != null) {
      tarSplit.segment(segment, 0, segmentLen);
    }
    segmentLen = 0;
  }

  /** Splits the consumed bytes: structure into the pending segment, content into the CRC. */
  private final class Recorder implements TarReader.Tap {
    @Override
    public void structure(byte[] b, int off, int len) {
      if (tarSplit == null) {
        return;
      }
      if (segmentLen + len > segment.length) {
        segment = Arrays.copyOf(segment, Math.max(segment.length * 2, segmentLen + len));
      }
      System.arraycopy(b, off, segment, segmentLen, len);
      segmentLen += len;
    }

    @Override
    public void content(byte[] b, int off, int len) {
      if (tarSplit != null) {
        crc.update(b, off, len);
      }
      contentSize += len;
    }
  }
}

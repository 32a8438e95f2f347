package io.layerstore.archive;

import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes and counts every byte read through it, and stops a stream that grows beyond a limit: a
 * layer's diffID covers the whole uncompressed stream, and a small compressed layer can expand
 * without bound.
 */
final class DigestingInputStream extends InputStream {

  private final InputStream in;
  private final String source;
  private final long limit;
  private final String limitReason;
  private final MessageDigest sha256;
  private final byte[] one = new byte[1];
  private long count;

  /**
   * @param limitReason what to say when more than {@code limit} bytes come, or null for the
   *     per-layer wording
   */
  DigestingInputStream(InputStream in, String source, long limit, String limitReason) {
    this(in, source, limit, limitReason, true);
  }

  /** With {@code hash} false, only counts and limits ({@link #digest()} is then not available). */
  DigestingInputStream(
      InputStream in, String source, long limit, String limitReason, boolean hash) {
    this.sha256 = hash ? Digest.newSha256() : null;
    this.in = in;
    this.source = source;
    this.limit = limit;
    this.limitReason =
        limitReason != null
            ? limitReason
            : "the uncompressed layer exceeds the limit of "
                + limit
                + " bytes (a decompression bomb?)";
  }

  @Override
  public int read() throws IOException {
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      count += n;
      if (count > limit) {
        throw new InvalidArchiveException(source, null, limitReason);
      }
      if (sha256 != null) {
        sha256.update(b, off, n);
      }
    }
    return n;
  }

  /** Skipped bytes are read, since they must be hashed too. */
  @Override
  public long skip(long n) throws IOException {
    byte[] scratch = new byte[(int) Math.min(Math.max(n, 0), 64 << 10)];
    long done = 0;
    while (done < n) {
      int k = read(scratch, 0, (int) Math.min(scratch.length, n - done));
      if (k < 0) {
        break;
      }
      done += k;
    }
    return done;
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  long count() {
    return count;
  }

  /** The digest of everything read; call once, at the end. */
  Digest digest() {
    if (sha256 == null) {
      throw new IllegalStateException("this stream only counts");
    }
    return Digest.fromBytes(sha256.digest());
  }
}

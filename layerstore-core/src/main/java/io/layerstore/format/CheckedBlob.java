package io.layerstore.format;

import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * A blob's bytes checked against the descriptor that points to it, in the same pass as whoever
 * reads them (the layer's inflater and unpacker): a layer is hashed as a blob and, decompressed, as
 * a diffID, without being read twice. More bytes than declared fail at once (a size that lies must
 * not make us read without end); at the end the count and the digest must match. A caller that
 * stops before the end (a gzip trailer read, padding after the tar) still gets the check: closing
 * reads what is left. (Skipped bytes are read and hashed too: {@link InputStream#skip} reads
 * through {@link #read(byte[], int, int)}.)
 */
final class CheckedBlob extends InputStream {
  private final InputStream in;
  private final Descriptor descriptor;
  private final String source;
  private final String where;
  private final MessageDigest sha256 = Digest.newSha256();
  private final byte[] one = new byte[1];
  private long count;
  private boolean checked;

  CheckedBlob(InputStream in, Descriptor descriptor, String source, String where) {
    this.in = in;
    this.descriptor = descriptor;
    this.source = source;
    this.where = where;
  }

  @Override
  public int read() throws IOException {
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    // One byte more than declared is asked for, so a longer blob is noticed.
    long room = descriptor.size() - count + 1;
    int n = in.read(b, off, (int) Math.min(len, room));
    if (n < 0) {
      check();
      return -1;
    }
    count += n;
    if (count > descriptor.size()) {
      throw mismatch("is longer than the " + descriptor.size() + " bytes its descriptor declares");
    }
    sha256.update(b, off, n);
    return n;
  }

  private void check() throws InvalidArchiveException {
    if (checked) {
      return;
    }
    checked = true;
    if (count != descriptor.size()) {
      throw mismatch("has " + count + " bytes, but its descriptor declares " + descriptor.size());
    }
    Digest actual = Digest.fromBytes(sha256.digest());
    if (!actual.equals(descriptor.digest())) {
      throw mismatch("does not match its digest: the content hashes to " + actual);
    }
  }

  private InvalidArchiveException mismatch(String what) {
    checked = true;
    return new InvalidArchiveException(
        source, where, "blob " + descriptor.digest() + " (" + descriptor.mediaType() + ") " + what);
  }

  /** Reads what is left and checks it, unless a check already failed or passed. */
  @Override
  public void close() throws IOException {
    try (in) {
      if (!checked) {
        byte[] buf = new byte[8192];
        while (read(buf, 0, buf.length) >= 0) {
          // read() hashes, counts and checks at the end
        }
      }
    }
  }
}

package io.layerstore.registry;

import io.layerstore.Digest;
import io.layerstore.DigestMismatchException;
import io.layerstore.format.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A blob's bytes as they download, hashed and counted on the way: more bytes than the descriptor
 * says fail at once, and at the end the count and the sha256 must be the descriptor's or the last
 * read throws {@link DigestMismatchException}. A connection that breaks (or a body that ends short)
 * is reopened at the byte reached, up to the client's attempts, with backoff between them; {@link
 * Opener} makes the range request and copes with a server that ignores it.
 */
final class VerifiedBlobStream extends InputStream {

  private static final Logger LOG = LoggerFactory.getLogger(VerifiedBlobStream.class);

  /** Opens the blob at a byte offset (a range request, or a whole body skipped up to it). */
  @FunctionalInterface
  interface Opener {
    InputStream open(long offset) throws IOException;
  }

  private final Descriptor descriptor;
  private final String where;
  private final Opener opener;
  private final int maxAttempts;
  private final MessageDigest sha256 = Digest.newSha256();
  private InputStream current;
  private long count;
  private int failures;
  private boolean verified;

  VerifiedBlobStream(
      Descriptor descriptor, String where, InputStream first, Opener opener, int maxAttempts) {
    this.descriptor = descriptor;
    this.where = where;
    this.current = first;
    this.opener = opener;
    this.maxAttempts = maxAttempts;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (true) {
      if (verified) {
        return -1;
      }
      int n;
      try {
        n = current.read(b, off, len);
      } catch (IOException e) {
        if (!Retry.isTransient(e)) {
          throw e;
        }
        resume(e);
        continue;
      }
      if (n < 0) {
        if (count < descriptor.size()) {
          // A body that ends short is a broken download until the attempts run out.
          resume(null);
          continue;
        }
        verify();
        return -1;
      }
      count += n;
      if (count > descriptor.size()) {
        throw new DigestMismatchException(
            descriptor.digest(),
            "more than " + descriptor.size() + " bytes",
            where + ": blob is longer than its descriptor's " + descriptor.size() + " bytes");
      }
      sha256.update(b, off, n);
      return n;
    }
  }

  /** Reopens at {@code count}, or reports why not. */
  private void resume(IOException cause) throws IOException {
    closeQuietly();
    while (true) {
      failures++;
      if (failures >= maxAttempts) {
        if (cause != null) {
          throw new IOException(
              where
                  + ": download broke at byte "
                  + count
                  + " of "
                  + descriptor.size()
                  + " "
                  + failures
                  + " times: "
                  + cause.getMessage(),
              cause);
        }
        throw new DigestMismatchException(
            descriptor.digest(),
            count + " bytes",
            where + ": blob ended after " + count + " of its " + descriptor.size() + " bytes");
      }
      LOG.info(
          "{}: download interrupted at byte {} of {} ({}), resuming",
          where,
          count,
          descriptor.size(),
          cause == null ? "body ended short" : cause.toString());
      Retry.pause(failures);
      try {
        current = opener.open(count);
        return;
      } catch (IOException e) {
        if (!Retry.isTransient(e)) {
          throw e;
        }
        cause = e;
      }
    }
  }

  private void verify() throws IOException {
    Digest actual = Digest.fromBytes(sha256.digest());
    if (!actual.equals(descriptor.digest())) {
      throw new DigestMismatchException(
          descriptor.digest(), actual, where + ": blob does not hash to its digest");
    }
    verified = true;
  }

  private void closeQuietly() {
    try {
      current.close();
    } catch (IOException ignored) {
      // the stream is given up anyway
    }
  }

  @Override
  public void close() throws IOException {
    current.close();
  }
}

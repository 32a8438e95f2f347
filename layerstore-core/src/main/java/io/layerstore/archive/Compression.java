package io.layerstore.archive;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStoreException;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Layer compression, recognised by the stream's first bytes as Docker does (never by a file name):
 * gzip {@code 1f 8b}, zstd {@code 28 b5 2f fd}, bzip2 {@code BZh}, xz {@code fd 37 7a 58 5a 00};
 * anything else is a plain tar.
 */
public enum Compression {
  NONE,
  GZIP,
  ZSTD,
  BZIP2,
  XZ;

  private static final Logger LOG = LoggerFactory.getLogger(Compression.class);
  private static final int BUFFER = 256 << 10;
  private static final int MAGIC_LEN = 6;

  /** The compression that the first bytes {@code head[0..len)} announce. */
  public static Compression detect(byte[] head, int len) {
    if (len >= 2 && u(head[0]) == 0x1f && u(head[1]) == 0x8b) {
      return GZIP;
    }
    if (len >= 4
        && u(head[0]) == 0x28
        && u(head[1]) == 0xb5
        && u(head[2]) == 0x2f
        && u(head[3]) == 0xfd) {
      return ZSTD;
    }
    if (len >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') {
      return BZIP2;
    }
    if (len >= 6
        && u(head[0]) == 0xfd
        && head[1] == '7'
        && head[2] == 'z'
        && head[3] == 'X'
        && head[4] == 'Z'
        && head[5] == 0) {
      return XZ;
    }
    return NONE;
  }

  /**
   * Peeks at the start of {@code in} and returns what it decompresses to. Errors of the
   * decompressor (truncated or corrupt data) surface as {@link InvalidArchiveException} naming
   * {@code source}; a truncated stream never just ends early.
   *
   * @throws InvalidArchiveException for xz, which is not supported
   */
  public static InputStream decompress(InputStream in, String source) throws IOException {
    return open(in, source).stream();
  }

  /**
   * A decompressed stream and the compression it was found to have.
   *
   * @param stream what {@code in} decompresses to
   * @param compression what {@code in} was compressed with
   */
  public record Opened(InputStream stream, Compression compression) {}

  /** Like {@link #decompress}, saying which compression it found. */
  public static Opened open(InputStream in, String source) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in, BUFFER);
    buffered.mark(MAGIC_LEN);
    byte[] head = buffered.readNBytes(MAGIC_LEN);
    buffered.reset();
    Compression c = detect(head, head.length);
    LOG.debug("{}: compression {}", source, c);
    switch (c) {
      case NONE:
        return new Opened(buffered, c);
      case GZIP:
        return new Opened(
            c.named(source, () -> new GZIPInputStream(new EagerAvailable(buffered), BUFFER)), c);
      case ZSTD:
        return new Opened(
            c.named(
                source,
                () -> new BufferedInputStream(new ZstdInputStreamNoFinalizer(buffered), BUFFER)),
            c);
      case BZIP2:
        return new Opened(c.named(source, () -> new BZip2CompressorInputStream(buffered, true)), c);
      case XZ:
      default:
        buffered.close();
        throw new InvalidArchiveException(
            source, null, "xz-compressed layers are not supported; decompress the layer first");
    }
  }

  private static int u(byte b) {
    return b & 0xff;
  }

  private interface Opener {
    InputStream open() throws IOException;
  }

  private InputStream named(String source, Opener opener) throws IOException {
    try {
      return new Decompressed(opener.open(), source, this);
    } catch (LayerStoreException e) {
      throw e;
    } catch (IOException e) {
      throw failure(source, this, e);
    }
  }

  private static InvalidArchiveException failure(String source, Compression c, IOException e) {
    String kind = c.name().toLowerCase(Locale.ROOT);
    return new InvalidArchiveException(
        source, null, "truncated or corrupt " + kind + " stream: " + e.getMessage(), e);
  }

  /** Turns decompressor errors into errors that name the layer. */
  private static final class Decompressed extends FilterInputStream {
    private final String source;
    private final Compression kind;

    Decompressed(InputStream in, String source, Compression kind) {
      super(in);
      this.source = source;
      this.kind = kind;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (LayerStoreException e) {
        throw e;
      } catch (IOException e) {
        throw failure(source, kind, e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (LayerStoreException e) {
        throw e;
      } catch (IOException e) {
        throw failure(source, kind, e);
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return in.skip(n);
      } catch (LayerStoreException e) {
        throw e;
      } catch (IOException e) {
        throw failure(source, kind, e);
      }
    }
  }

  /**
   * {@link GZIPInputStream} looks for a further gzip member only when {@code available()} says more
   * input is there; a source that reports 0 (pipes, network, other decompressors) would silently
   * end a multi-member stream after the first member. This wrapper answers by peeking.
   */
  private static final class EagerAvailable extends FilterInputStream {
    EagerAvailable(BufferedInputStream in) {
      super(in);
    }

    @Override
    public int available() throws IOException {
      int n = in.available();
      if (n > 0) {
        return n;
      }
      in.mark(1);
      int b = in.read();
      in.reset();
      return b < 0 ? 0 : 1;
    }
  }
}

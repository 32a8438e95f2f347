package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import io.layerstore.InvalidArchiveException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;

class CompressionTest {

  private static final byte[] DATA = MalformedTarTest.randomBytes(100_000);

  @Test
  void detectsEachKindByItsMagicBytes() {
    assertEquals(Compression.GZIP, detect(0x1f, 0x8b, 0x08));
    assertEquals(Compression.ZSTD, detect(0x28, 0xb5, 0x2f, 0xfd, 0x00));
    assertEquals(Compression.BZIP2, detect('B', 'Z', 'h', '9'));
    assertEquals(Compression.XZ, detect(0xfd, '7', 'z', 'X', 'Z', 0x00));
    assertEquals(Compression.NONE, detect('.', '/', 0, 0));
    assertEquals(Compression.NONE, detect(0x1f));
    assertEquals(Compression.NONE, detect());
  }

  @Test
  void decompressesEachSupportedKind() throws IOException {
    assertArrayEquals(DATA, roundTrip(gzip(DATA)));
    assertArrayEquals(DATA, roundTrip(Zstd.compress(DATA, 3)));
    assertArrayEquals(DATA, roundTrip(bzip2(DATA)));
    assertArrayEquals(DATA, roundTrip(DATA));
    assertArrayEquals(new byte[0], roundTrip(new byte[0]));
  }

  @Test
  void multiMemberGzipIsReadWholeEvenWhenTheSourceReportsNothingAvailable() throws IOException {
    ByteArrayOutputStream two = new ByteArrayOutputStream();
    two.writeBytes(gzip(java.util.Arrays.copyOf(DATA, 60_000)));
    int boundary = two.size();
    two.writeBytes(gzip(java.util.Arrays.copyOfRange(DATA, 60_000, DATA.length)));
    // like a pipe: nothing announced as available, and the first member arrives on its own
    InputStream stingy =
        new FilterInputStream(new ByteArrayInputStream(two.toByteArray())) {
          private int pos;

          @Override
          public int available() {
            return 0;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int max = pos < boundary ? boundary - pos : len;
            int n = super.read(b, off, Math.min(len, max));
            pos += Math.max(n, 0);
            return n;
          }
        };
    try (InputStream in = Compression.decompress(stingy, "two-members.gz")) {
      assertArrayEquals(DATA, in.readAllBytes());
    }
  }

  @Test
  void xzIsRefusedClearly() {
    byte[] xz = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0, 0, 4};
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () -> Compression.decompress(new ByteArrayInputStream(xz), "layer.xz"));
    assertEquals("layer.xz", e.source());
    assertTrue(e.reason().contains("xz-compressed layers are not supported"), e.getMessage());
  }

  @Test
  void corruptGzipNamesTheSource() throws IOException {
    byte[] gz = gzip(DATA);
    for (int i = 20; i < 200; i++) {
      gz[i] ^= 0x55;
    }
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () -> {
              try (InputStream in =
                  Compression.decompress(new ByteArrayInputStream(gz), "bad.gz")) {
                in.readAllBytes();
              }
            });
    assertEquals("bad.gz", e.source());
    assertTrue(e.reason().startsWith("truncated or corrupt gzip stream"), e.getMessage());
  }

  private static Compression detect(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return Compression.detect(b, b.length);
  }

  private static byte[] roundTrip(byte[] compressed) throws IOException {
    try (InputStream in = Compression.decompress(new ByteArrayInputStream(compressed), "t")) {
      return in.readAllBytes();
    }
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(data);
    }
    return out.toByteArray();
  }

  private static byte[] bzip2(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (BZip2CompressorOutputStream b = new BZip2CompressorOutputStream(out)) {
      b.write(data);
    }
    return out.toByteArray();
  }
}

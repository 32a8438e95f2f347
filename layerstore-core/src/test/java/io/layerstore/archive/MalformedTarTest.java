package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.github.luben.zstd.Zstd;
import io.layerstore.InvalidArchiveException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A corpus of broken layers made here, each named after what is wrong with it; each must be refused
 * with {@link InvalidArchiveException} whose message names the input and says why.
 */
class MalformedTarTest {

  private record Case(String name, Supplier<byte[]> tar, String entry, String reason) {}

  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

  private static List<Case> cases() {
    return List.of(
        new Case(
            "bad checksum",
            () -> new RawTar().header("a", '0', 0).badChecksum().add().end().bytes(),
            "a",
            "bad header checksum"),
        new Case(
            "base-256 uid 2^40",
            () -> new RawTar().header("a", '0', 0).base256(108, 8, 1L << 40).add().end().bytes(),
            "a",
            "uid 1099511627776 out of range"),
        new Case(
            "base-256 size overflowing 64 bits",
            () ->
                new RawTar()
                    .header("a", '0', 0)
                    .bytes(124, 12, new byte[] {(byte) 0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
                    .add()
                    .end()
                    .bytes(),
            "a",
            "invalid size field"),
        new Case(
            "negative size",
            () -> new RawTar().header("a", '0', 0).base256(124, 12, -5).add().end().bytes(),
            "a",
            "negative size -5"),
        new Case(
            "non-numeric size",
            () -> new RawTar().header("a", '0', 0).str(124, 12, "12x4\0").add().end().bytes(),
            "a",
            "invalid size field"),
        new Case(
            "mode beyond permission and type bits",
            () -> new RawTar().header("a", '0', 0).octal(100, 8, 01100644).add().end().bytes(),
            "a",
            "has bits beyond the permission"),
        new Case(
            "truncated header",
            () -> Arrays.copyOf(new RawTar().file("a", HELLO).end().bytes(), 300),
            null,
            "truncated: the archive ends inside a header block"),
        new Case(
            "truncated data",
            () -> Arrays.copyOf(new RawTar().header("a", '0', 4000).add().bytes(), 512 + 1000),
            "a",
            "truncated: the archive ends inside the content (3000 of 4000 bytes missing)"),
        new Case(
            "truncated end block",
            () -> Arrays.copyOf(new RawTar().file("a", HELLO).end().bytes(), 1024 + 700),
            null,
            "truncated: the archive ends inside a block"),
        new Case(
            "zero block then a header",
            () -> new RawTar().raw(new byte[512]).file("a", HELLO).end().bytes(),
            null,
            "is followed by a non-zero block"),
        new Case(
            "PAX size record huge",
            () ->
                new RawTar()
                    .pax('x', "size=99999999999999999999999")
                    .file("a", HELLO)
                    .end()
                    .bytes(),
            "a",
            "invalid PAX size record"),
        new Case(
            "PAX size record larger than the archive",
            () -> new RawTar().pax('x', "size=1000000000000000").file("a", HELLO).end().bytes(),
            "a",
            "truncated: the archive ends inside the content"),
        new Case(
            "PAX uid beyond 2^32-1",
            () -> new RawTar().pax('x', "uid=4294967296").file("a", HELLO).end().bytes(),
            "a",
            "uid 4294967296 out of range"),
        new Case(
            "PAX mtime not a number",
            () -> new RawTar().pax('x', "mtime=12.3e4").file("a", HELLO).end().bytes(),
            "a",
            "invalid PAX mtime record"),
        new Case(
            "PAX record without newline",
            () ->
                new RawTar()
                    .paxBytes('x', "11 path=abc".getBytes(StandardCharsets.US_ASCII))
                    .file("a", HELLO)
                    .end()
                    .bytes(),
            "PaxHeaders.0/x",
            "malformed PAX header"),
        new Case(
            "PAX data over 1 MiB",
            () ->
                new RawTar()
                    .header("PaxHeaders.0/x", 'x', (1 << 20) + 1)
                    .add()
                    .raw(new byte[(1 << 20) + 512])
                    .file("a", HELLO)
                    .end()
                    .bytes(),
            "PaxHeaders.0/x",
            "exceeds the limit of 1048576 bytes"),
        new Case(
            "GNU long name over 1 MiB",
            () ->
                new RawTar()
                    .header("././@LongLink", 'L', (1 << 20) + 1)
                    .gnu()
                    .add()
                    .raw(new byte[(1 << 20) + 512])
                    .file("a", HELLO)
                    .end()
                    .bytes(),
            "././@LongLink",
            "exceeds the limit of 1048576 bytes"),
        new Case(
            "truncated PAX data",
            () -> Arrays.copyOf(new RawTar().pax('x', "path=" + "p".repeat(600)).bytes(), 800),
            "PaxHeaders.0/x",
            "truncated: the archive ends inside the PAX header"),
        new Case(
            "sparse GNU",
            () -> new RawTar().header("holes", 'S', 0).gnu().add().end().bytes(),
            "holes",
            "sparse files are not supported (GNU typeflag S)"),
        new Case(
            "sparse PAX",
            () ->
                new RawTar()
                    .pax(
                        'x',
                        "GNU.sparse.major=1",
                        "GNU.sparse.minor=0",
                        "GNU.sparse.name=holes",
                        "GNU.sparse.realsize=1048576")
                    .file("GNUSparseFile.0/holes", HELLO)
                    .end()
                    .bytes(),
            "GNUSparseFile.0/holes",
            "sparse files are not supported (PAX record GNU.sparse."),
        new Case(
            "NUL in name",
            () -> new RawTar().pax('x', "path=a\0b").file("a", HELLO).end().bytes(),
            "PaxHeaders.0/x",
            "NUL byte in PAX path record"),
        new Case(
            "invalid UTF-8 name",
            () ->
                new RawTar()
                    .header("x", '0', 0)
                    .bytes(0, 100, new byte[] {'a', (byte) 0xff, 'b'})
                    .add()
                    .end()
                    .bytes(),
            "a\\xffb",
            "the name is not valid UTF-8"),
        new Case(
            "invalid UTF-8 link name",
            () ->
                new RawTar()
                    .header("l", '2', 0)
                    .bytes(157, 100, new byte[] {(byte) 0xc3, '('})
                    .add()
                    .end()
                    .bytes(),
            "\\xc3(",
            "the link name is not valid UTF-8"),
        new Case(
            "empty name",
            () -> new RawTar().header("", '0', 0).add().end().bytes(),
            null,
            "has an empty name"),
        new Case(
            "duplicate cleaned names",
            () -> new RawTar().file("etc/a", HELLO).file("./etc//a", HELLO).end().bytes(),
            "./etc//a",
            "duplicates of file paths not supported"));
  }

  @TestFactory
  Stream<DynamicTest> eachBrokenTarIsRefusedWithItsReason() {
    return cases().stream()
        .map(
            c ->
                dynamicTest(
                    c.name(),
                    () -> {
                      InvalidArchiveException e =
                          assertThrows(
                              InvalidArchiveException.class,
                              () ->
                                  FxMultiLayerTest.read(
                                      c.tar().get(), "case.tar", new ByteArrayOutputStream()));
                      assertEquals("case.tar", e.source());
                      if (c.entry() != null) {
                        assertEquals(c.entry(), e.entry(), e.getMessage());
                      }
                      assertTrue(e.reason().contains(c.reason()), e.getMessage());
                    }));
  }

  @TestFactory
  Stream<DynamicTest> truncatedCompressedStreamsAreRefused() throws IOException {
    byte[] tar = new RawTar().file("a", randomBytes(200_000)).end().bytes();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
      g.write(tar);
    }
    byte[] zst = Zstd.compress(tar, 3);
    return Stream.of(
        dynamicTest("truncated gzip", () -> refusedAsTruncated(gz.toByteArray(), "gzip")),
        dynamicTest(
            "truncated gzip trailer",
            () -> refusedAsTruncated(gz.toByteArray(), gz.size() - 4, "gzip")),
        dynamicTest("truncated zstd", () -> refusedAsTruncated(zst, "zstd")));
  }

  private static void refusedAsTruncated(byte[] compressed, String kind) {
    refusedAsTruncated(compressed, compressed.length / 2, kind);
  }

  private static void refusedAsTruncated(byte[] compressed, int keep, String kind) {
    byte[] cut = Arrays.copyOf(compressed, keep);
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () -> {
              InputStream in =
                  Compression.decompress(new ByteArrayInputStream(cut), "layer.tar." + kind);
              try (LayerReader r =
                  new LayerReader(in, "layer.tar." + kind, null, LayerReader.UNLIMITED)) {
                r.finish();
              }
            });
    assertEquals("layer.tar." + kind, e.source());
    assertTrue(e.reason().contains("truncated or corrupt " + kind + " stream"), e.getMessage());
  }

  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new java.util.Random(n).nextBytes(b);
    return b;
  }
}

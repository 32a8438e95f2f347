package io.layerstore.tarsplit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.layerstore.InvalidArchiveException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The tar-split JSON lines: written exactly as Go writes them, read back with validation. */
class TarSplitFormatTest {

  @Test
  void linesAreWrittenInGoFieldOrderAndEscaping() throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (TarSplitWriter w = new TarSplitWriter(gz, "t")) {
      w.segment(new byte[] {1, 2, 3}, 0, 3);
      w.file("a<b>&c\u2028\u2029\"\\\n\t\u0001\u007f é", 3, new byte[] {0, 0, 0, 0, 0, 0, 0, 1});
      w.file("dir/", 0, null);
      w.segment(new byte[0], 0, 0);
    }
    String text = new String(gunzip(gz.toByteArray()), StandardCharsets.UTF_8);
    assertEquals(
        "{\"type\":2,\"payload\":\"AQID\",\"position\":0}\n"
            + "{\"type\":1,\"name\":\"a\\u003cb\\u003e\\u0026c\\u2028\\u2029\\\"\\\\\\n\\t\\u0001\u007f"
            + " é\",\"size\":3,\"payload\":\"AAAAAAAAAAE=\",\"position\":1}\n"
            + "{\"type\":1,\"name\":\"dir/\",\"payload\":null,\"position\":2}\n"
            + "{\"type\":2,\"payload\":\"\",\"position\":3}\n",
        text);

    try (TarSplitReader r = TarSplitReader.open(new ByteArrayInputStream(gz.toByteArray()), "t")) {
      assertArrayEquals(new byte[] {1, 2, 3}, r.next().payload());
      TarSplitEntry f = r.next();
      assertEquals("a<b>&c\u2028\u2029\"\\\n\t\u0001\u007f é", f.name());
      assertEquals(3, f.size());
      TarSplitEntry d = r.next();
      assertNull(d.payload());
      assertEquals(0, r.next().payload().length);
      assertNull(r.next());
    }
  }

  /**
   * Found by TarSplitReaderFuzzTest: bytes Jackson takes for UTF-32 escaped as a bare IOException.
   */
  @Test
  void bytesThatLookLikeUtf32AreRefusedNamingTheFile() {
    byte[] input = {0x0b, 0, 0, 0, 'r', 'e', 'A', 'a', 'm', '"', ':'};
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () -> {
              try (TarSplitReader r =
                  TarSplitReader.openUncompressed(
                      new ByteArrayInputStream(input), "layer/tar-split")) {
                while (r.next() != null) {
                  // read all
                }
              }
            });
    assertEquals("layer/tar-split", e.source());
    assertTrue(e.reason().startsWith("tar-split: not UTF-8 JSON"), e.reason());
  }

  @Test
  void duplicateCleanedNamesAreRefusedWhenWriting() throws IOException {
    TarSplitWriter w = new TarSplitWriter(new ByteArrayOutputStream(), "layer.tar");
    w.file("./etc/", 0, null);
    InvalidArchiveException e =
        assertThrows(InvalidArchiveException.class, () -> w.file("etc", 0, null));
    assertEquals("duplicates of file paths not supported", e.reason());
  }

  @TestFactory
  Stream<DynamicTest> damagedRecordsAreRefused() {
    Map<String, String[]> cases =
        Map.of(
            "unknown type",
                new String[] {"{\"type\":3,\"payload\":null,\"position\":0}", "unknown type 3"},
            "bad base64",
                new String[] {"{\"type\":2,\"payload\":\"A!==\",\"position\":0}", "is not base64"},
            "unpadded base64",
                new String[] {
                  "{\"type\":2,\"payload\":\"AQI\",\"position\":0}", "not padded base64"
                },
            "negative size",
                new String[] {
                  "{\"type\":1,\"name\":\"a\",\"size\":-1,\"payload\":null,\"position\":0}",
                  "negative size -1"
                },
            "missing checksum",
                new String[] {
                  "{\"type\":1,\"name\":\"a\",\"size\":5,\"payload\":null,\"position\":0}",
                  "has no checksum"
                },
            "position out of order",
                new String[] {
                  "{\"type\":2,\"payload\":\"\",\"position\":4}", "has position 4, expected 0"
                },
            "no type", new String[] {"{\"payload\":\"\",\"position\":0}", "has no type"},
            "not JSON", new String[] {"{\"type\":2,\"payload\":", "malformed JSON"},
            "duplicate names",
                new String[] {
                  "{\"type\":1,\"name\":\"a/\",\"payload\":null,\"position\":0}\n"
                      + "{\"type\":1,\"name\":\"./a\",\"payload\":null,\"position\":1}",
                  "duplicates of file paths not supported"
                });
    return cases.entrySet().stream()
        .map(
            c ->
                dynamicTest(
                    c.getKey(),
                    () -> {
                      byte[] json = c.getValue()[0].getBytes(StandardCharsets.UTF_8);
                      InvalidArchiveException e =
                          assertThrows(
                              InvalidArchiveException.class,
                              () -> {
                                try (TarSplitReader r =
                                    TarSplitReader.openUncompressed(
                                        new ByteArrayInputStream(json), "tar-split.json")) {
                                  while (r.next() != null) {
                                    // read all
                                  }
                                }
                              });
                      assertEquals("tar-split.json", e.source());
                      assertTrue(e.getMessage().contains(c.getValue()[1]), e.getMessage());
                    }));
  }

  @Test
  void truncatedGzipIsRefused() throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (TarSplitWriter w = new TarSplitWriter(gz, "t")) {
      for (int i = 0; i < 100; i++) {
        w.segment(new byte[512], 0, 512);
      }
    }
    byte[] cut = java.util.Arrays.copyOf(gz.toByteArray(), gz.size() / 2);
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () -> {
              try (TarSplitReader r = TarSplitReader.open(new ByteArrayInputStream(cut), "ts.gz")) {
                while (r.next() != null) {
                  // read all
                }
              }
            });
    assertTrue(e.getMessage().contains("truncated or corrupt gzip"), e.getMessage());
  }

  static byte[] gunzip(byte[] gz) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }
}

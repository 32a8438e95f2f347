package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our writer against Docker's bytes, GNU tar's reading and our own reader. */
class TarWriterTest {

  private static final Instant T = Instant.ofEpochSecond(1_700_000_000L);

  @Test
  void rewritingDockerMadeLayersGivesTheSameBytes() throws IOException {
    FxMulti fx = FxMulti.load();
    // layer 1 was made by GNU tar; layers 2..5 by Docker's Go writer
    for (int i = 1; i < fx.layers.size(); i++) {
      byte[] original = fx.layers.get(i);
      assertArrayEquals(original, rewrite(original), "layer " + (i + 1));
    }
  }

  /** Go's writer rounds mtimes to whole seconds; everything else survives. */
  @Test
  void rewritingGnuTarsLayerKeepsEveryHeaderAndContent() throws IOException {
    byte[] original = FxMulti.load().layers.get(0);
    byte[] copy = rewrite(original);
    List<Object[]> a = summary(original);
    List<Object[]> b = summary(copy);
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i), b.get(i), "member " + i);
    }
  }

  @Test
  void gnuTarAndOurReaderReadWhatWeWrite(@TempDir Path tmp) throws Exception {
    Path gnuTar = TestPlatform.tool("/usr/bin/tar");
    String prefixed = "p".repeat(60) + "/" + "q".repeat(60) + "/file.txt";
    String veryLong = "long/" + "x".repeat(250) + ".txt";
    byte[] cap = {1, 0, 0, 2, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    List<TarHeader> headers =
        List.of(
            h("dir/", TarHeader.DIRECTORY).mode(040755).build(),
            h("dir/file", TarHeader.REGULAR)
                .mode(0100644)
                .size(5)
                .userName("root")
                .groupName("root")
                .build(),
            h(prefixed, TarHeader.REGULAR).mode(0100600).size(3).build(),
            h(veryLong, TarHeader.REGULAR).mode(0100644).size(0).build(),
            h("dir/ünïcödé файл", TarHeader.REGULAR).mode(0100644).size(2).build(),
            h("dir/link", TarHeader.SYMLINK).mode(0120777).linkName("t/".repeat(60)).build(),
            h("dir/hard", TarHeader.HARDLINK).mode(0100644).linkName("dir/file").build(),
            h("dir/owned", TarHeader.REGULAR).mode(0100644).uid(4_000_000).gid(3_000_000).build(),
            h("dir/caps", TarHeader.REGULAR)
                .mode(0100755)
                .xattr("security.capability", cap)
                .xattr("user.note", "hi".getBytes(StandardCharsets.UTF_8))
                .build(),
            h("dir/null", TarHeader.CHAR_DEVICE).mode(020666).device(1, 3).build(),
            h("dir/fifo", TarHeader.FIFO).mode(010644).build(),
            h("dir/.wh.gone", TarHeader.REGULAR).mode(0600).linkName("dir/stale").build());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarWriter w = new TarWriter(out)) {
      for (TarHeader header : headers) {
        w.putNextEntry(header);
        byte[] content = new byte[(int) header.size()];
        Arrays.fill(content, (byte) 'c');
        w.write(content, 0, content.length);
      }
    }
    byte[] tar = out.toByteArray();
    assertEquals(0, tar.length % 512);
    assertArrayEquals(new byte[1024], Arrays.copyOfRange(tar, tar.length - 1024, tar.length));

    List<TarHeader> back = LayerReaderTest.headers(tar);
    assertEquals(headers.size(), back.size());
    for (int i = 0; i < headers.size(); i++) {
      TarHeader w = headers.get(i);
      TarHeader r = back.get(i);
      assertEquals(w.name(), r.name());
      assertEquals(w.typeflag(), r.typeflag(), w.name());
      assertEquals(w.mode(), r.mode(), w.name());
      assertEquals(w.uid(), r.uid(), w.name());
      assertEquals(w.gid(), r.gid(), w.name());
      assertEquals(w.size(), r.size(), w.name());
      assertEquals(w.mtime(), r.mtime(), w.name());
      assertEquals(w.linkName(), r.linkName(), w.name());
      assertEquals(w.devMajor(), r.devMajor(), w.name());
      assertEquals(w.devMinor(), r.devMinor(), w.name());
      assertEquals(w.xattrs().keySet(), r.xattrs().keySet(), w.name());
      for (String k : w.xattrs().keySet()) {
        assertArrayEquals(w.xattrs().get(k), r.xattrs().get(k), w.name() + " " + k);
      }
    }

    Path file = tmp.resolve("ours.tar");
    Files.write(file, tar);
    String listing = GnuTarFormatsTest.run(gnuTar.toString(), "-tf", file.toString());
    List<String> names = new ArrayList<>();
    headers.forEach(x -> names.add(x.name()));
    assertEquals(names, List.of(listing.split("\n")));
    String verbose =
        GnuTarFormatsTest.run(gnuTar.toString(), "--numeric-owner", "-tvf", file.toString());
    assertTrue(verbose.contains("4000000/3000000"), verbose);
    assertTrue(verbose.matches("(?s).*crw-rw-rw- 0/0 +1,3 .*"), verbose);
    assertTrue(verbose.contains("dir/hard link to dir/file"), verbose);
    String xattrs =
        GnuTarFormatsTest.run(
            gnuTar.toString(), "--xattrs", "--xattrs-include=*", "-tvvf", file.toString());
    assertTrue(xattrs.contains("user.note"), xattrs);
  }

  @Test
  void headersAreUstarUntilAFieldDoesNotFit() throws IOException {
    assertEquals('0', firstBlock(h("plain", TarHeader.REGULAR).build())[156]);
    String prefixed = "p".repeat(60) + "/" + "q".repeat(60);
    byte[] split = firstBlock(h(prefixed, TarHeader.REGULAR).build());
    assertEquals("q".repeat(60), cstr(split, 0, 100));
    assertEquals("p".repeat(60), cstr(split, 345, 155));

    byte[] pax = firstBlock(h("a/b/" + "n".repeat(120), TarHeader.REGULAR).build());
    assertEquals('x', pax[156]);
    assertEquals(("a/b/PaxHeaders.0/" + "n".repeat(120)).substring(0, 100), cstr(pax, 0, 100));
    byte[] dirPax = firstBlock(h("dir/" + "d".repeat(120) + "/", TarHeader.DIRECTORY).build());
    assertEquals(
        ("dir/" + "d".repeat(120) + "/PaxHeaders.0").substring(0, 100), cstr(dirPax, 0, 100));
    assertEquals('x', firstBlock(h("u", TarHeader.REGULAR).uid(2_097_152).build())[156]);
    assertEquals('0', firstBlock(h("u", TarHeader.REGULAR).uid(2_097_151).build())[156]);
    assertEquals(
        'x', firstBlock(h("x", TarHeader.REGULAR).xattr("user.a", new byte[] {1}).build())[156]);
    assertEquals('x', firstBlock(h("g", TarHeader.REGULAR).groupName("g".repeat(33)).build())[156]);
  }

  @Test
  void misuseIsRefused() throws IOException {
    TarWriter w = new TarWriter(new ByteArrayOutputStream());
    assertThrows(
        IllegalArgumentException.class,
        () -> w.putNextEntry(h("file/", TarHeader.REGULAR).build()));
    assertThrows(
        IllegalArgumentException.class, () -> w.putNextEntry(h("", TarHeader.REGULAR).build()));
    assertThrows(
        IllegalArgumentException.class,
        () -> w.putNextEntry(h("n\0ul", TarHeader.REGULAR).build()));
    w.putNextEntry(h("f", TarHeader.REGULAR).size(3).build());
    assertThrows(IOException.class, () -> w.write(new byte[4], 0, 4));
    w.write(new byte[2], 0, 2);
    assertThrows(IOException.class, w::finish);
  }

  private static TarHeader.Builder h(String name, byte type) {
    return TarHeader.builder(name, type).mtime(T);
  }

  private static byte[] firstBlock(TarHeader header) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarWriter w = new TarWriter(out)) {
      w.putNextEntry(header);
    }
    return Arrays.copyOf(out.toByteArray(), 512);
  }

  private static String cstr(byte[] b, int off, int len) {
    int n = TarBlock.cStringLength(b, off, len);
    return new String(b, off, n, StandardCharsets.UTF_8);
  }

  private static byte[] rewrite(byte[] original) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarReader r = new TarReader(new ByteArrayInputStream(original), "original");
        TarWriter w = new TarWriter(out)) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        w.putNextEntry(h);
        try (InputStream in = r.content()) {
          w.writeContent(in);
        }
      }
    }
    return out.toByteArray();
  }

  private static List<Object[]> summary(byte[] tar) throws IOException {
    List<Object[]> out = new ArrayList<>();
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "t")) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        StringBuilder x = new StringBuilder();
        h.xattrs().forEach((k, v) -> x.append(k).append('=').append(Arrays.toString(v)));
        out.add(
            new Object[] {
              h.name(),
              h.typeflag(),
              h.mode(),
              h.uid(),
              h.gid(),
              h.size(),
              h.mtime().plusMillis(500).getEpochSecond(),
              h.linkName(),
              h.userName(),
              h.groupName(),
              h.devMajor(),
              h.devMinor(),
              x.toString(),
              Arrays.hashCode(r.content().readAllBytes())
            });
      }
    }
    return out;
  }
}

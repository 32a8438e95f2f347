package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.InvalidArchiveException;
import io.layerstore.tarsplit.Crc64;
import io.layerstore.tarsplit.TarSplitEntry;
import io.layerstore.tarsplit.TarSplitReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Edge cases of reading, hashing and recording one layer, checked against Go's behaviour. */
class LayerReaderTest {

  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

  @Test
  void trailingBytesGoInto1MiBSegmentsThenOneEmptySegment() throws IOException {
    byte[] tar =
        new RawTar()
            .file("a", HELLO)
            .end()
            .raw(MalformedTarTest.randomBytes((5 << 19) + 3))
            .bytes();
    ByteArrayOutputStream ts = new ByteArrayOutputStream();
    LayerReader.Result r = FxMultiLayerTest.read(tar, "t", ts);
    assertEquals(sha256(tar), r.diffId().toString());
    assertEquals((5 << 19) + 3, r.trailingSize());
    List<TarSplitEntry> e = entries(ts.toByteArray());
    assertEquals(List.of(512, -1, 507 + 1024, 1 << 20, 1 << 20, (1 << 19) + 3, 0), shape(e));
  }

  @Test
  void archiveWithoutEndBlocksEndsAtTheLastBlockBoundary() throws IOException {
    byte[] tar = new RawTar().file("a", HELLO).bytes();
    ByteArrayOutputStream ts = new ByteArrayOutputStream();
    LayerReader.Result r = FxMultiLayerTest.read(tar, "t", ts);
    assertEquals(sha256(tar), r.diffId().toString());
    assertEquals(List.of(512, -1, 507, 0), shape(entries(ts.toByteArray())));
  }

  @Test
  void singleZeroBlockThenEndOfInputIsTheEnd() throws IOException {
    byte[] tar = new RawTar().file("a", HELLO).raw(new byte[512]).bytes();
    ByteArrayOutputStream ts = new ByteArrayOutputStream();
    FxMultiLayerTest.read(tar, "t", ts);
    assertEquals(List.of(512, -1, 507 + 512, 0), shape(entries(ts.toByteArray())));
  }

  @Test
  void endOfInputInsidePaddingEndsTheArchiveAndKeepsTheBytes() throws IOException {
    byte[] tar = Arrays.copyOf(new RawTar().file("a", HELLO).bytes(), 512 + 5 + 100);
    ByteArrayOutputStream ts = new ByteArrayOutputStream();
    LayerReader.Result r = FxMultiLayerTest.read(tar, "t", ts);
    assertEquals(sha256(tar), r.diffId().toString());
    List<TarSplitEntry> e = entries(ts.toByteArray());
    assertEquals(List.of(512, -1, 100, 0), shape(e));
  }

  @Test
  void decompressionBombIsStopped() {
    byte[] tar = new RawTar().file("a", new byte[20_000]).end().bytes();
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () -> {
              try (LayerReader r =
                  new LayerReader(new ByteArrayInputStream(tar), "bomb", null, 10_000)) {
                r.finish();
              }
            });
    assertTrue(e.getMessage().contains("exceeds the limit of 10000 bytes"), e.getMessage());
  }

  @Test
  void duplicatesAreRefusedBeforeTheyAreHandedOutWithOrWithoutARecord() throws IOException {
    byte[] tar = new RawTar().file("a/b", HELLO).file("a//b/", HELLO).end().bytes();
    for (ByteArrayOutputStream record : Arrays.asList(new ByteArrayOutputStream(), null)) {
      try (LayerReader r =
          new LayerReader(
              new ByteArrayInputStream(tar), "dup.tar", record, LayerReader.UNLIMITED)) {
        assertEquals("a/b", r.next().name());
        InvalidArchiveException e = assertThrows(InvalidArchiveException.class, r::next);
        assertEquals("duplicates of file paths not supported", e.reason());
        assertEquals("a//b/", e.entry());
      }
    }
  }

  /**
   * Found by LayerReaderFuzzTest: a directory (or link) whose header claims bytes has none; Go's
   * tar-split records the claim and the record cannot be reassembled. The content size is recorded
   * instead, so the layer saves back byte for byte.
   */
  @Test
  void memberWithoutContentButWithASizeFieldIsRecordedAsEmpty() throws IOException {
    RawTar raw = new RawTar();
    raw.header("usr/", '5', 257).add();
    raw.header("link", '1', 99).link("usr").add();
    byte[] tar = raw.file("f", HELLO).end().bytes();
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    try (LayerReader r =
        new LayerReader(new ByteArrayInputStream(tar), "t", record, LayerReader.UNLIMITED)) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        r.content().readAllBytes();
      }
      r.finish();
    }
    List<TarSplitEntry> e = entries(record.toByteArray());
    assertEquals(0, e.get(1).size(), "usr/");
    assertEquals(0, e.get(3).size(), "link");
    ByteArrayOutputStream rebuilt = new ByteArrayOutputStream();
    try (TarSplitReader ts =
        TarSplitReader.open(new ByteArrayInputStream(record.toByteArray()), "t")) {
      io.layerstore.tarsplit.TarSplitAssembler.assemble(
          ts, name -> new ByteArrayInputStream(HELLO), rebuilt, "t");
    }
    assertArrayEquals(tar, rebuilt.toByteArray());
  }

  @Test
  void unreadContentIsStillChecksummed() throws IOException {
    byte[] tar =
        new RawTar()
            .file("a", HELLO)
            .file("b", MalformedTarTest.randomBytes(300_000))
            .end()
            .bytes();
    ByteArrayOutputStream skipped = new ByteArrayOutputStream();
    FxMultiLayerTest.read(tar, "t", skipped);
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    try (LayerReader r =
        new LayerReader(new ByteArrayInputStream(tar), "t", read, LayerReader.UNLIMITED)) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        r.content().readAllBytes();
      }
      r.finish();
    }
    assertArrayEquals(
        FxMultiLayerTest.gunzip(read.toByteArray()),
        FxMultiLayerTest.gunzip(skipped.toByteArray()));
    TarSplitEntry a = entries(read.toByteArray()).get(1);
    assertArrayEquals(Crc64.toBytes(Crc64.of(HELLO)), a.payload());
  }

  /**
   * Given a hashing read-ahead under its input, the reader takes the diffID from it: the same
   * result, record and trailing bytes as hashing itself.
   */
  @Test
  void aHashedReadAheadGivesTheSameResultAsHashingHere() throws IOException {
    byte[] tar =
        new RawTar()
            .file("a", HELLO)
            .file("b", MalformedTarTest.randomBytes(700_000))
            .end()
            .bytes();
    byte[] withTrailer = java.util.Arrays.copyOf(tar, tar.length + 5000);
    ByteArrayOutputStream here = new ByteArrayOutputStream();
    LayerReader.Result hashedHere;
    try (LayerReader r =
        new LayerReader(new ByteArrayInputStream(withTrailer), "t", here, LayerReader.UNLIMITED)) {
      hashedHere = r.finish();
    }
    ByteArrayOutputStream ahead = new ByteArrayOutputStream();
    LayerReader.Result hashedAhead;
    try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(withTrailer), "t", true);
        LayerReader r = new LayerReader(in, "t", ahead, LayerReader.UNLIMITED, null, in)) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        r.content().read();
      }
      hashedAhead = r.finish();
    }
    assertEquals(hashedHere, hashedAhead);
    assertEquals(
        new io.layerstore.DiffId(
            io.layerstore.Digest.fromBytes(io.layerstore.Digest.newSha256().digest(withTrailer))),
        hashedAhead.diffId());
    assertArrayEquals(here.toByteArray(), ahead.toByteArray());
    try (ReadAhead notHashing = new ReadAhead(new ByteArrayInputStream(tar), "t")) {
      assertThrows(
          IllegalArgumentException.class,
          () -> new LayerReader(notHashing, "t", null, LayerReader.UNLIMITED, null, notHashing));
    }
  }

  @Test
  void contentCannotBeReadAfterMovingOn() throws IOException {
    byte[] tar = new RawTar().file("a", HELLO).file("b", HELLO).end().bytes();
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "t")) {
      r.next();
      InputStream a = r.content();
      assertEquals(2, a.skip(2));
      assertEquals('l', a.read());
      r.next();
      assertThrows(IOException.class, a::read);
      assertArrayEquals(HELLO, r.content().readAllBytes());
      assertNull(r.next());
      assertNull(r.next());
    }
  }

  @Test
  void headerFieldsAreDecodedLikeGo() throws IOException {
    byte[] signedBlock =
        new RawTar()
            .header("signed-sum", '0', 0)
            .bytes(500, 1, new byte[] {(byte) 0xff})
            .add()
            .bytes();
    fixSignedChecksum(signedBlock);
    byte[] tar =
        new RawTar()
            .raw(signedBlock)
            .header("name", '0', 0)
            .prefix("the/prefix")
            .add()
            .header("gnu-name", '0', 0)
            .gnu()
            .str(345, 12, "00000000001")
            .str(357, 12, "00000000002")
            .add()
            .header("buggy", '0', 0)
            .gnu()
            .prefix("old/go")
            .add()
            .header("v7name", '0', 0)
            .v7()
            .prefix("ignored")
            .add()
            .header("spaced", '0', 0)
            .str(100, 8, " 644 \0  ")
            .str(108, 8, "  17\0")
            .add()
            .header("big", '0', 0)
            .base256(108, 8, 4_000_000_000L)
            .add()
            .header("docker-mode", '0', 0)
            .octal(100, 8, 0100644)
            .add()
            .header("old-dir/", '\0', 0)
            .add()
            .header("old-file", '\0', 0)
            .add()
            .header("dev", '3', 0)
            .octal(329, 8, 1)
            .octal(337, 8, 3)
            .add()
            .header("link-with-size", '2', 10)
            .link("target")
            .add()
            .end()
            .bytes();
    List<TarHeader> hs = headers(tar);
    assertEquals("signed-sum", hs.get(0).name());
    assertEquals("the/prefix/name", hs.get(1).name());
    assertEquals("gnu-name", hs.get(2).name());
    assertEquals("old/go/buggy", hs.get(3).name());
    assertEquals("v7name", hs.get(4).name());
    assertEquals(0644, hs.get(5).mode());
    assertEquals(017, hs.get(5).uid());
    assertEquals(4_000_000_000L, hs.get(6).uid());
    assertEquals(0100644, hs.get(7).mode());
    assertEquals(0644, hs.get(7).permissions());
    assertEquals(TarHeader.DIRECTORY, hs.get(8).typeflag());
    assertEquals(TarHeader.REGULAR, hs.get(9).typeflag());
    assertEquals(1, hs.get(10).devMajor());
    assertEquals(3, hs.get(10).devMinor());
    assertEquals(0, hs.get(11).size());

    // Go's tar-split records the symlink's size field (with the CRC of no bytes), a record no
    // assembler can rebuild; we record the content that follows it: none.
    ByteArrayOutputStream ts = new ByteArrayOutputStream();
    FxMultiLayerTest.read(tar, "t", ts);
    TarSplitEntry link =
        entries(ts.toByteArray()).stream()
            .filter(e -> e.name().equals("link-with-size"))
            .findFirst()
            .orElseThrow();
    assertEquals(0, link.size());
    assertNull(link.payload());
  }

  @Test
  void paxAndGnuExtensionsAreApplied() throws IOException {
    byte[] cap = {1, 0, 0, 2, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    java.io.ByteArrayOutputStream records = new java.io.ByteArrayOutputStream();
    records.writeBytes(
        RawTar.paxData(
            "path=päx/ñame",
            "linkpath=far/away",
            "uid=70000",
            "gid=80000",
            "uname=someone",
            "gname=group",
            "mtime=1700000000.123456789",
            "SCHILY.xattr.user.empty=",
            "atime=1.5"));
    records.writeBytes(PaxRecords.format("SCHILY.xattr.security.capability", cap));
    byte[] tar =
        new RawTar()
            .pax('g', "comment=global", "uid=5")
            .paxBytes('x', records.toByteArray())
            .header("short", '2', 0)
            .add()
            .pax('x', "size=6")
            .header("sized", '0', 0)
            .add()
            .data("abcdef".getBytes(StandardCharsets.US_ASCII))
            .gnuLong('L', "g".repeat(300))
            .gnuLong('K', "k".repeat(200))
            .header("cut", '1', 0)
            .gnu()
            .add()
            .file("after", HELLO)
            .end()
            .bytes();
    List<TarHeader> hs = headers(tar);
    TarHeader global = hs.get(0);
    assertEquals(TarHeader.PAX_GLOBAL, global.typeflag());
    assertEquals("global", global.pax().get("comment"));
    TarHeader p = hs.get(1);
    assertEquals("päx/ñame", p.name());
    assertEquals("far/away", p.linkName());
    assertEquals(70000, p.uid());
    assertEquals(80000, p.gid());
    assertEquals("someone", p.userName());
    assertEquals("group", p.groupName());
    assertEquals(Instant.ofEpochSecond(1_700_000_000L, 123_456_789), p.mtime());
    assertArrayEquals(cap, p.xattrs().get("security.capability"));
    assertTrue(!p.xattrs().containsKey("user.empty"), "Go drops records with empty values");
    assertEquals(6, hs.get(2).size());
    assertEquals("g".repeat(300), hs.get(3).name());
    assertEquals("k".repeat(200), hs.get(3).linkName());
    assertEquals(0, hs.get(4).uid(), "global records are not applied to later members");
  }

  private static void fixSignedChecksum(byte[] b) {
    Arrays.fill(b, 148, 156, (byte) ' ');
    long signed = 0;
    for (byte x : b) {
      signed += x;
    }
    String s = Long.toOctalString(signed);
    byte[] v = (("000000" + s).substring(s.length()) + "\0 ").getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(v, 0, b, 148, 8);
  }

  static List<TarHeader> headers(byte[] tar) throws IOException {
    List<TarHeader> out = new ArrayList<>();
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "t")) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        out.add(h);
      }
    }
    return out;
  }

  static List<TarSplitEntry> entries(byte[] gz) throws IOException {
    List<TarSplitEntry> out = new ArrayList<>();
    try (TarSplitReader r = TarSplitReader.open(new ByteArrayInputStream(gz), "t")) {
      for (TarSplitEntry e = r.next(); e != null; e = r.next()) {
        out.add(e);
      }
    }
    return out;
  }

  /** Segment lengths, -1 for each file entry. */
  static List<Integer> shape(List<TarSplitEntry> entries) {
    List<Integer> out = new ArrayList<>();
    for (TarSplitEntry e : entries) {
      out.add(e.isSegment() ? e.payload().length : -1);
    }
    return out;
  }

  static String sha256(byte[] b) throws IOException {
    return FxMultiLayerTest.sha256(new ByteArrayInputStream(b));
  }
}

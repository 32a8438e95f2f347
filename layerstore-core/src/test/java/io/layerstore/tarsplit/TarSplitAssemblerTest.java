package io.layerstore.tarsplit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.DigestMismatchException;
import io.layerstore.InvalidArchiveException;
import io.layerstore.UnsafePathException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TarSplitAssemblerTest {

  private static final byte[] HEADER = new byte[512];
  private static final byte[] CONTENT = "copied\n".getBytes(StandardCharsets.US_ASCII);

  private FileSystem fs;
  private Path root;

  @BeforeEach
  void setUp() throws IOException {
    fs = Jimfs.newFileSystem(Configuration.unix());
    root = Files.createDirectories(fs.getPath("/layer"));
    Files.createDirectories(root.resolve("opt/app"));
  }

  @AfterEach
  void tearDown() throws IOException {
    fs.close();
  }

  @Test
  void segmentsAndFilesAreConcatenated() throws IOException {
    Files.write(root.resolve("opt/app/copied.txt"), CONTENT);
    byte[] out = assemble(record("./opt/app/copied.txt", CONTENT.length, Crc64.of(CONTENT)));
    assertEquals(512 + CONTENT.length + 505 + 1024, out.length);
    assertArrayEquals(CONTENT, java.util.Arrays.copyOfRange(out, 512, 512 + CONTENT.length));
    assertEquals(
        out.length,
        TarSplitAssembler.assembledSize(
            TarSplitReader.open(new ByteArrayInputStream(record("x", CONTENT.length, 0)), "t")));
  }

  @Test
  void changedContentFailsTheChecksumNamingTheFile() throws IOException {
    Files.write(root.resolve("opt/app/copied.txt"), "COPIED\n".getBytes(StandardCharsets.UTF_8));
    DigestMismatchException e =
        assertThrows(
            DigestMismatchException.class,
            () -> assemble(record("opt/app/copied.txt", CONTENT.length, Crc64.of(CONTENT))));
    assertTrue(e.getMessage().contains("opt/app/copied.txt"), e.getMessage());
    assertEquals("crc64:614362d98eac3740", e.expected());
  }

  @Test
  void wrongSizeIsRefusedNamingTheFile() throws IOException {
    Files.write(root.resolve("opt/app/copied.txt"), "copied!\n".getBytes(StandardCharsets.UTF_8));
    InvalidArchiveException longer =
        assertThrows(
            InvalidArchiveException.class,
            () -> assemble(record("opt/app/copied.txt", CONTENT.length, Crc64.of(CONTENT))));
    assertEquals("opt/app/copied.txt", longer.entry());
    assertTrue(longer.reason().contains("longer than the 7 bytes"), longer.getMessage());

    Files.write(root.resolve("opt/app/copied.txt"), "copy".getBytes(StandardCharsets.UTF_8));
    InvalidArchiveException shorter =
        assertThrows(
            InvalidArchiveException.class,
            () -> assemble(record("opt/app/copied.txt", CONTENT.length, Crc64.of(CONTENT))));
    assertTrue(shorter.reason().contains("shorter than the 7 bytes"), shorter.getMessage());
  }

  /**
   * Checking sizes only (for a caller that checks the digest of the whole): changed content of the
   * recorded size comes through as it is on disk, and a size that differs is still refused.
   */
  @Test
  void sizeOnlyAssemblyPassesChangedContentButNotAChangedSize() throws IOException {
    byte[] changed = "COPIED\n".getBytes(StandardCharsets.UTF_8);
    Files.write(root.resolve("opt/app/copied.txt"), changed);
    byte[] record = record("opt/app/copied.txt", CONTENT.length, Crc64.of(CONTENT));
    byte[] out = assemble(record, TarSplitAssembler.FileCheck.SIZE);
    assertArrayEquals(changed, java.util.Arrays.copyOfRange(out, 512, 512 + changed.length));
    assertThrows(
        DigestMismatchException.class, () -> assemble(record, TarSplitAssembler.FileCheck.CRC64));

    Files.write(root.resolve("opt/app/copied.txt"), "copy".getBytes(StandardCharsets.UTF_8));
    InvalidArchiveException shorter =
        assertThrows(
            InvalidArchiveException.class,
            () -> assemble(record, TarSplitAssembler.FileCheck.SIZE));
    assertTrue(shorter.reason().contains("shorter than the 7 bytes"), shorter.getMessage());
  }

  @Test
  void namesCannotLeaveTheLayerDirectory() {
    assertThrows(UnsafePathException.class, () -> assemble(record("../../etc/shadow", 3, 0)));
  }

  private byte[] assemble(byte[] record) throws IOException {
    return assemble(record, TarSplitAssembler.FileCheck.CRC64);
  }

  private byte[] assemble(byte[] record, TarSplitAssembler.FileCheck check) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarSplitAssembler.assemble(
        TarSplitReader.open(new ByteArrayInputStream(record), "layer"),
        FileGetter.directory(root),
        out,
        "layer",
        check);
    return out.toByteArray();
  }

  private static byte[] record(String name, long size, long crc) throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (TarSplitWriter w = new TarSplitWriter(gz, "t")) {
      w.segment(HEADER, 0, HEADER.length);
      w.file(name, size, Crc64.toBytes(crc));
      w.segment(new byte[505 + 1024], 0, 505 + 1024);
      w.segment(new byte[0], 0, 0);
    }
    return gz.toByteArray();
  }
}

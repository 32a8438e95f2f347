package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.testkit.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code load} without {@code -i} reads stdin and {@code save} / {@code export} without {@code -o}
 * write stdout, as docker's do; {@code load -i} takes a compressed archive as docker's does.
 */
class StdStreamsCliTest {

  @TempDir Path tmp;

  private InProcessCli.Result cli(InputStream in, String... args) {
    return InProcessCli.run(tmp.resolve("root"), in, args);
  }

  private InProcessCli.Result ok(InputStream in, String... args) {
    InProcessCli.Result r = cli(in, args);
    assertEquals(0, r.status(), String.join(" ", args) + " failed: " + r.err());
    return r;
  }

  private static InputStream nothing() {
    return new ByteArrayInputStream(new byte[0]);
  }

  @Test
  void loadsStdinAndSavesToStdout() throws IOException {
    byte[] archive = Files.readAllBytes(Fixtures.fxMultiArchive());
    assertEquals("Loaded image: fx:multi\n", ok(new ByteArrayInputStream(archive), "load").out());
    assertArrayEquals(archive, ok(nothing(), "save", "fx:multi").stdout());
    Path oci = tmp.resolve("oci.tar");
    ok(nothing(), "save", "--format", "oci", "-o", oci.toString(), "fx:multi");
    assertArrayEquals(
        Files.readAllBytes(oci), ok(nothing(), "save", "--format", "oci", "fx:multi").stdout());
    InProcessCli.Result dir = cli(nothing(), "save", "--format", "oci-dir", "fx:multi");
    assertEquals(Main.USAGE_ERROR, dir.status());
    assertTrue(dir.err().contains("needs -o DIR"), dir.err());
  }

  @Test
  void loadTakesCompressedArchivesFromFilesAndStdin() throws IOException {
    byte[] archive = Files.readAllBytes(Fixtures.fxMultiArchive());
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream o = new GZIPOutputStream(gz)) {
      o.write(archive);
    }
    Path file = tmp.resolve("fx.tar.gz");
    Files.write(file, gz.toByteArray());
    assertEquals("Loaded image: fx:multi\n", ok(nothing(), "load", "-i", file.toString()).out());
    ok(nothing(), "rmi", "fx:multi");
    assertEquals(
        "Loaded image: fx:multi\n",
        ok(new ByteArrayInputStream(gz.toByteArray()), "load", "-q").out());
    InProcessCli.Result bad = cli(new ByteArrayInputStream(new byte[] {1, 2, 3}), "load");
    assertEquals(1, bad.status());
    assertTrue(bad.err().startsWith("Error: stdin: "), bad.err());
  }

  @Test
  void exportsAContainerToStdout() throws IOException {
    ok(nothing(), "load", "-i", Fixtures.fxMultiArchive().toString());
    ok(nothing(), "create", "--name", "box", "fx:multi");
    Path file = tmp.resolve("c.tar");
    ok(nothing(), "export", "-o", file.toString(), "box");
    assertArrayEquals(Files.readAllBytes(file), ok(nothing(), "export", "box").stdout());
  }
}

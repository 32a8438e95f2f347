package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.InvalidArchiveException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Archives made by GNU tar in each of its formats, disassembled by us and by the reference
 * tar-split tool (Go's reader inside): the two records must be identical, which checks name
 * resolution (long names, prefixes, PAX), segmentation and end-of-archive handling at once.
 */
class GnuTarFormatsTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"gnu", "oldgnu", "pax", "ustar", "v7"})
  void ourRecordEqualsTheReferenceTools(String format) throws Exception {
    Path tar = TestPlatform.tool("/usr/bin/tar");
    Path tool = TestPlatform.tool("/usr/bin/tar-split");
    Path tree = makeTree(format);
    Path archive = tmp.resolve(format + ".tar");
    run(
        tar.toString(),
        "--format=" + format,
        "--numeric-owner",
        "-C",
        tree.toString(),
        "-cf",
        archive.toString(),
        ".");
    byte[] bytes = Files.readAllBytes(archive);

    ByteArrayOutputStream ours = new ByteArrayOutputStream();
    LayerReader.Result r = FxMultiLayerTest.read(bytes, archive.toString(), ours);
    assertEquals(FxMultiLayerTest.sha256(new ByteArrayInputStream(bytes)), r.diffId().toString());
    assertTrue(r.trailingSize() > 0, "GNU tar pads to a 10240-byte record");

    Path json = tmp.resolve(format + ".json.gz");
    run(tool.toString(), "disasm", "--no-stdout", "--output", json.toString(), archive.toString());
    assertEquals(
        new String(FxMultiLayerTest.gunzip(Files.readAllBytes(json)), StandardCharsets.UTF_8),
        new String(FxMultiLayerTest.gunzip(ours.toByteArray()), StandardCharsets.UTF_8));

    assertEquals(
        FxMultiLayerTest.sha256(new ByteArrayInputStream(bytes)),
        FxMultiLayerTest.assembledDigest(ours.toByteArray(), tree));
  }

  @Test
  void namesMatchGnuTarsListing() throws Exception {
    Path tar = TestPlatform.tool("/usr/bin/tar");
    Path tree = makeTree("pax");
    Path archive = tmp.resolve("list.tar");
    run(tar.toString(), "--format=pax", "-C", tree.toString(), "-cf", archive.toString(), ".");
    List<String> ours = new ArrayList<>();
    try (TarReader r = new TarReader(Files.newInputStream(archive), archive.toString())) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        ours.add(h.name());
      }
    }
    String listing = run(tar.toString(), "-tf", archive.toString());
    assertEquals(List.of(listing.split("\n")), ours);
  }

  @Test
  void gnuSparseMembersAreRejected() throws Exception {
    Path tar = TestPlatform.tool("/usr/bin/tar");
    Path dir = Files.createDirectories(tmp.resolve("sparse"));
    try (var ch =
        java.nio.channels.FileChannel.open(
            dir.resolve("holes.bin"),
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap("data".getBytes(StandardCharsets.US_ASCII)), 1 << 20);
    }
    for (String format : List.of("gnu", "pax")) {
      Path archive = tmp.resolve("sparse-" + format + ".tar");
      run(
          tar.toString(),
          "--format=" + format,
          "-S",
          "-C",
          dir.toString(),
          "-cf",
          archive.toString(),
          ".");
      InvalidArchiveException e =
          assertThrows(
              InvalidArchiveException.class,
              () -> FxMultiLayerTest.read(Files.readAllBytes(archive), "sparse", null));
      assertTrue(e.getMessage().contains("sparse files are not supported"), e.getMessage());
    }
  }

  private Path makeTree(String format) throws IOException {
    Path t = Files.createDirectories(tmp.resolve("tree-" + format));
    Files.writeString(t.resolve("small.txt"), "hello\n");
    Files.write(t.resolve("empty"), new byte[0]);
    Files.write(t.resolve("block.bin"), new byte[512]);
    byte[] big = new byte[70_000];
    new java.util.Random(7).nextBytes(big);
    Files.write(t.resolve("big.bin"), big);
    Files.createDirectories(t.resolve("sub/dir"));
    Files.writeString(t.resolve("sub/dir/f"), "f");
    Files.createLink(t.resolve("sub/hard"), t.resolve("small.txt"));
    Files.createSymbolicLink(t.resolve("sub/link"), Path.of("../small.txt"));
    if (!format.equals("v7")) {
      // 150 characters in total, each element short: USTAR can split it into prefix/name
      String deep = "d123456789/".repeat(12) + "leaf-of-a-deep-path.txt";
      Path p = t.resolve(deep);
      Files.createDirectories(p.getParent());
      Files.writeString(p, "deep");
    }
    if (!format.equals("v7") && !format.equals("ustar")) {
      Files.writeString(t.resolve("n".repeat(120) + ".txt"), "long name");
      Files.createSymbolicLink(t.resolve("longlink"), Path.of("t".repeat(130)));
    }
    if (format.equals("pax")) {
      Files.writeString(t.resolve("ünïcödé файл.txt"), "héllo");
    }
    return t;
  }

  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    return out;
  }
}

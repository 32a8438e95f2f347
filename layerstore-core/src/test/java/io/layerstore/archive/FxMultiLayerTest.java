package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.Digest;
import io.layerstore.tarsplit.FileGetter;
import io.layerstore.tarsplit.TarSplitAssembler;
import io.layerstore.tarsplit.TarSplitReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our reader and tar-split against what Docker itself did with the fx:multi image. */
class FxMultiLayerTest {

  private static FxMulti fx;

  @BeforeAll
  static void load() throws IOException {
    fx = FxMulti.load();
  }

  @Test
  void everyLayerHashesToItsDiffIdInOnePass() throws IOException {
    assertEquals(5, fx.layers.size());
    for (int i = 0; i < fx.layers.size(); i++) {
      byte[] tar = fx.layers.get(i);
      LayerReader.Result r = read(tar, "layer " + (i + 1), new ByteArrayOutputStream());
      assertEquals(fx.diffIds.get(i), r.diffId().toString(), "layer " + (i + 1));
      assertEquals(tar.length, r.tarSize());
    }
  }

  @Test
  void ourTarSplitEqualsDockersByteForByte() throws IOException {
    for (int i = 0; i < fx.layers.size(); i++) {
      ByteArrayOutputStream ours = new ByteArrayOutputStream();
      read(fx.layers.get(i), "layer " + (i + 1), ours);
      byte[] docker = gunzip(fx.dockerTarSplit.get(fx.diffIds.get(i)));
      assertEquals(
          new String(docker, StandardCharsets.UTF_8),
          new String(gunzip(ours.toByteArray()), StandardCharsets.UTF_8),
          "layer " + (i + 1));
    }
  }

  @Test
  void disassembledLayersReassembleFromTheExtractedFiles() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      for (int i = 0; i < fx.layers.size(); i++) {
        String diffId = fx.diffIds.get(i);
        Path dir = fs.getPath("/layer" + i);
        Files.createDirectories(dir);
        fx.extractDiff(diffId, dir);

        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        read(fx.layers.get(i), "layer " + (i + 1), ours);
        assertEquals(diffId, assembledDigest(ours.toByteArray(), dir), "ours, layer " + (i + 1));
        assertEquals(
            diffId,
            assembledDigest(fx.dockerTarSplit.get(diffId), dir),
            "docker's, layer " + (i + 1));
      }
    }
  }

  @Test
  void referenceToolAssemblesOurTarSplit(@TempDir Path tmp) throws Exception {
    Path tool = TestPlatform.tool("/usr/bin/tar-split");
    for (int i = 0; i < fx.layers.size(); i++) {
      String diffId = fx.diffIds.get(i);
      Path dir = Files.createDirectories(tmp.resolve("layer" + i));
      fx.extractDiff(diffId, dir);
      Path json = tmp.resolve("layer" + i + ".json.gz");
      try (var out = Files.newOutputStream(json)) {
        read(fx.layers.get(i), "layer " + (i + 1), out);
      }
      Process p =
          new ProcessBuilder(
                  tool.toString(),
                  "asm",
                  "--input",
                  json.toString(),
                  "--path",
                  dir.toString(),
                  "--output",
                  "-")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String digest;
      try (InputStream in = p.getInputStream()) {
        digest = sha256(in);
      }
      assertEquals(0, p.waitFor(), "tar-split asm exit code, layer " + (i + 1));
      assertEquals(diffId, digest, "layer " + (i + 1));
    }
  }

  @Test
  void referenceToolDisassemblyIsReadAndReassembledByUs(@TempDir Path tmp) throws Exception {
    Path tool = TestPlatform.tool("/usr/bin/tar-split");
    for (int i = 0; i < fx.layers.size(); i++) {
      String diffId = fx.diffIds.get(i);
      Path tar = tmp.resolve("layer" + i + ".tar");
      Files.write(tar, fx.layers.get(i));
      Path json = tmp.resolve("layer" + i + ".json.gz");
      Process p =
          new ProcessBuilder(
                  tool.toString(),
                  "disasm",
                  "--no-stdout",
                  "--output",
                  json.toString(),
                  tar.toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      assertEquals(0, p.waitFor(), "tar-split disasm exit code");
      Path dir = Files.createDirectories(tmp.resolve("layer" + i));
      fx.extractDiff(diffId, dir);
      byte[] theirs = Files.readAllBytes(json);
      assertEquals(diffId, assembledDigest(theirs, dir), "layer " + (i + 1));

      ByteArrayOutputStream ours = new ByteArrayOutputStream();
      read(fx.layers.get(i), "layer " + (i + 1), ours);
      assertArrayEquals(gunzip(theirs), gunzip(ours.toByteArray()), "layer " + (i + 1));
    }
  }

  @Test
  void baseLayerMembersAreResolvedLikeGo() throws IOException {
    Map<String, TarHeader> byName = new HashMap<>();
    try (TarReader r = new TarReader(new ByteArrayInputStream(fx.layers.get(0)), "layer 1")) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        byName.put(h.name(), h);
      }
    }
    TarHeader osRelease = byName.get("./etc/os-release");
    assertArrayEquals(
        "fixture".getBytes(StandardCharsets.UTF_8), osRelease.xattrs().get("user.layerstore.test"));
    assertTrue(byName.containsKey("./dir with space/ünïcödé файл.txt"));
    assertTrue(byName.keySet().stream().anyMatch(n -> n.length() > 100));
    assertEquals(04755, byName.get("./bin/busybox").permissions());
    assertEquals(01777, byName.get("./tmp/").permissions());
    assertEquals(TarHeader.SYMLINK, byName.get("./etc/abs-link").typeflag());
    assertEquals("/etc/os-release", byName.get("./etc/abs-link").linkName());
    assertEquals(1 << 20, byName.get("./usr/share/sparse.bin").size());
  }

  static LayerReader.Result read(byte[] tar, String source, java.io.OutputStream tarSplit)
      throws IOException {
    try (LayerReader r =
        new LayerReader(new ByteArrayInputStream(tar), source, tarSplit, LayerReader.UNLIMITED)) {
      return r.finish();
    }
  }

  static String assembledDigest(byte[] tarSplitGz, Path dir) throws IOException {
    TarSplitReader entries = TarSplitReader.open(new ByteArrayInputStream(tarSplitGz), "t");
    try (InputStream in = TarSplitAssembler.open(entries, FileGetter.directory(dir), "t")) {
      return sha256(in);
    }
  }

  static String sha256(InputStream in) throws IOException {
    MessageDigest md = Digest.newSha256();
    try (DigestInputStream d = new DigestInputStream(in, md)) {
      d.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return Digest.fromBytes(md.digest()).toString();
  }

  static byte[] gunzip(byte[] gz) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }
}

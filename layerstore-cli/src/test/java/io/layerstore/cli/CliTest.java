package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.ImageArchiveBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's commands and their docker-like output, on a store in a temporary directory. */
class CliTest {

  @TempDir Path tmp;

  private InProcessCli.Result cli(String... args) {
    return InProcessCli.run(tmp.resolve("root"), args);
  }

  private InProcessCli.Result ok(String... args) {
    InProcessCli.Result r = cli(args);
    assertEquals(0, r.status(), String.join(" ", args) + " failed: " + r.err());
    return r;
  }

  private byte[] layerTar() throws IOException {
    ImageArchiveBuilder b = new ImageArchiveBuilder();
    b.layer()
        .dir("etc", 0755)
        .file("etc/hello", "hello from import\n", 0644)
        .symlink("etc/link", "hello");
    return b.layerTars().get(0);
  }

  @Test
  void importPlainGzipAndZstdGiveTheSameLayer() throws IOException {
    byte[] tar = layerTar();
    Path plain = tmp.resolve("layer.tar");
    Files.write(plain, tar);
    Path gz = tmp.resolve("layer.tgz.odd-name");
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
      o.write(tar);
    }
    Path zst = tmp.resolve("layer.bin");
    try (OutputStream o = new com.github.luben.zstd.ZstdOutputStream(Files.newOutputStream(zst))) {
      o.write(tar);
    }
    String id1 = ok("import", plain.toString(), "imp:plain").out().strip();
    String id2 = ok("import", gz.toString(), "imp:gzip").out().strip();
    String id3 = ok("import", zst.toString()).out().strip();
    assertTrue(id1.matches("sha256:[0-9a-f]{64}"), id1);
    JsonNode a = inspect("imp:plain");
    JsonNode b = inspect("imp:gzip");
    JsonNode c = inspect(id3);
    String diff = io.layerstore.Digest.of(tar).toString();
    for (JsonNode n : List.of(a, b, c)) {
      assertEquals(diff, n.at("/RootFS/Layers/0").asText());
      assertEquals("linux", n.get("Os").asText());
      assertTrue(n.get("Comment").asText().startsWith("Imported from "), n.toString());
    }
    assertEquals(id2, b.get("Id").asText());
    // one layer directory for the three images: the layer is shared
    try (var s = Files.list(tmp.resolve("root/overlay2"))) {
      assertEquals(2, s.count(), "one layer dir plus l/");
    }
    String images = ok("images").out();
    assertTrue(images.contains("imp          plain"), images);
    assertTrue(images.contains("<none>       <none>"), images);
  }

  private JsonNode inspect(String image) throws IOException {
    JsonNode arr = new ObjectMapper().readTree(ok("inspect", image).out());
    assertEquals(1, arr.size());
    return arr.get(0);
  }

  @Test
  void tagInspectAndRmi() throws IOException {
    ok("load", "-i", Fixtures.fxMultiArchive().toString());
    ok("tag", "fx:multi", "example.com/team/app:v1");
    ok("tag", "7baf36a8", "again");
    JsonNode n = inspect("again:latest");
    assertEquals(Fixtures.FX_MULTI_ID, n.get("Id").asText());
    assertEquals(
        List.of("again:latest", "example.com/team/app:v1", "fx:multi"),
        List.of(
            n.get("RepoTags").get(0).asText(),
            n.get("RepoTags").get(1).asText(),
            n.get("RepoTags").get(2).asText()));
    assertEquals("overlay2", n.at("/GraphDriver/Name").asText());
    assertTrue(n.at("/GraphDriver/Data/UpperDir").asText().endsWith("/diff"));
    assertEquals(5, n.at("/RootFS/Layers").size());
    assertEquals(4079681, n.get("Size").asLong());
    assertFalse(
        n.at("/Metadata/LastTagTime").asText().startsWith("0001"), "tagging records the time");
    String repos = Files.readString(tmp.resolve("root/image/overlay2/repositories.json"));
    assertTrue(
        repos.contains(
            "\"example.com/team/app\":{\"example.com/team/app:v1\":\""
                + Fixtures.FX_MULTI_ID
                + "\"}"),
        repos);

    // by id with several tags: refused unless forced
    InProcessCli.Result refused = cli("rmi", "7baf36a82e1e");
    assertEquals(1, refused.status());
    assertTrue(refused.err().contains("must be forced"), refused.err());
    // a tag of an image with several tags: untag only
    assertEquals("Untagged: again:latest\n", ok("rmi", "again").out());
    assertEquals("Untagged: example.com/team/app:v1\n", ok("rmi", "example.com/team/app:v1").out());
    InProcessCli.Result last = ok("rmi", "fx:multi");
    assertTrue(
        last.out().startsWith("Untagged: fx:multi\nDeleted: " + Fixtures.FX_MULTI_ID + "\n"),
        last.out());
    assertEquals(
        5,
        last.out()
            .lines()
            .filter(l -> l.startsWith("Deleted: sha256:") && !l.contains("7baf36a8"))
            .count(),
        last.out());
    assertEquals("REPOSITORY   TAG   IMAGE ID   CREATED   SIZE\n", ok("images").out());
    try (var s = Files.list(tmp.resolve("root/overlay2"))) {
      assertEquals(
          List.of("l"), s.map(p -> p.getFileName().toString()).toList(), "every layer dir is gone");
    }
    try (var s = Files.list(tmp.resolve("root/image/overlay2/layerdb/sha256"))) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void errorsAreClear() {
    InProcessCli.Result r = cli("inspect", "nope:missing");
    assertEquals(1, r.status());
    assertEquals("Error: No such image: nope:missing\n", r.err());
    InProcessCli.Result bad = cli("tag", "x", "Bad Name");
    assertEquals(1, bad.status());
    assertTrue(bad.err().startsWith("Error: invalid reference format"), bad.err());
    InProcessCli.Result usage = cli("frobnicate");
    assertEquals(125, usage.status());
    InProcessCli.Result load = cli("load", "-i", tmp.resolve("missing.tar").toString());
    assertEquals(1, load.status());
    assertTrue(load.err().contains("missing.tar"), load.err());
  }

  @Test
  void demoRunsEndToEnd() {
    InProcessCli.Result r = ok("demo");
    assertTrue(
        r.out().contains("done: every saved layer is byte for byte the loaded one."), r.out());
    assertTrue(r.out().contains("/etc/motd is gone (whiteout)"), r.out());
    assertTrue(r.out().contains("/usr/share/doc holds only [new.txt] (opaque directory)"), r.out());
  }

  /**
   * The classes the start-up prepares on a thread of its own are named right (a typo would only
   * make every command slower).
   */
  @Test
  void theClassesPreparedAtStartUpExist() throws ClassNotFoundException {
    for (String name : Main.PREPARED) {
      assertEquals(name, Class.forName(name, false, Main.class.getClassLoader()).getName());
    }
  }

  @Test
  void printsItsVersionAsDockerDoes() {
    for (String flag : List.of("--version", "-v")) {
      InProcessCli.Result r = ok(flag);
      assertTrue(r.out().startsWith("layerstore version "), r.out());
      assertEquals(1, r.out().lines().count(), r.out());
    }
  }
}

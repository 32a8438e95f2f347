package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.Digest;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.OciLayoutBuilder;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RootfsManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI-layout acceptance against real tools: what skopeo writes from the image dockerd built
 * loads to Docker's own root file system, listing for listing; a two-platform index loads the
 * host's platform, or the one asked for, and a dockerd on the data-root still lists and runs the
 * host's image when every platform was kept.
 */
class OciLoadAcceptanceTest {

  @TempDir Path tmp;

  private String cli(Path root, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("--root", root.toString()));
    all.addAll(List.of(args));
    int status =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))
            .run(all.toArray(String[]::new));
    assertEquals(0, status, String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
  }

  /** The media types of the layers of the one image a layout directory holds. */
  private static List<String> layerTypes(Path dir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    JsonNode index = json.readTree(dir.resolve("index.json").toFile());
    String digest = index.get("manifests").get(0).get("digest").asText();
    JsonNode manifest =
        json.readTree(dir.resolve("blobs/sha256/" + Digest.parse(digest).hex()).toFile());
    List<String> out = new ArrayList<>();
    manifest.get("layers").forEach(l -> out.add(l.get("mediaType").asText()));
    return out;
  }

  private void assertDockersRootfs(Path root, String ref) throws IOException {
    try (LayerStore store = LayerStore.open(root);
        Mount m = store.mount(ref)) {
      assertEquals(
          RootfsManifest.read(Fixtures.fxMultiManifest(), true),
          RootfsManifest.of(m.root(), true),
          ref + " in " + root);
    }
  }

  @Test
  void loadsWhatSkopeoWrites() throws Exception {
    Path skopeo = PlatformRequirements.requireExecutable("skopeo", "skopeo");
    String source = "docker-archive:" + Fixtures.fxMultiArchive();
    // gzip, as an OCI archive (a tar of the layout)
    Path archive = tmp.resolve("fx.oci.tar");
    run(skopeo.toString(), "copy", "-q", source, "oci-archive:" + archive + ":fx/multi:gz");
    assertEquals(
        "Loaded image: fx/multi:gz\n", cli(tmp.resolve("gz"), "load", "-i", archive.toString()));
    assertDockersRootfs(tmp.resolve("gz"), "fx/multi:gz");
    // zstd, as a layout directory
    Path dir = tmp.resolve("fx-zstd");
    run(
        skopeo.toString(),
        "copy",
        "-q",
        "--dest-compress-format",
        "zstd",
        source,
        "oci:" + dir + ":fx/multi:zstd");
    assertEquals(
        List.of("application/vnd.oci.image.layer.v1.tar+zstd"),
        layerTypes(dir).stream().distinct().toList());
    assertEquals(
        "Loaded image: fx/multi:zstd\n", cli(tmp.resolve("zstd"), "load", "-i", dir.toString()));
    assertDockersRootfs(tmp.resolve("zstd"), "fx/multi:zstd");
    // each compressed layer's blob is in Docker's distribution metadata
    Path dist = tmp.resolve("zstd/image/overlay2/distribution/diffid-by-digest/sha256");
    try (var s = Files.list(dist)) {
      assertEquals(5, s.count());
    }
  }

  @Test
  void platforms() throws Exception {
    Path layout = tmp.resolve("both");
    OciLayoutBuilder.twoPlatforms(Fixtures.fixtures().resolve("fx-multi.oci"), "fx/multi:both")
        .writeDir(layout);
    String host = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
    Path root = tmp.resolve("root");
    cli(root, "load", "-i", layout.toString());
    assertEquals(host + "\n", architecture(root));
    cli(root, "load", "--platform", "linux/arm64", "-i", layout.toString());
    assertEquals("arm64\n", architecture(root));
    Path all = tmp.resolve("all");
    cli(all, "load", "--all-platforms", "-i", layout.toString());
    assertEquals(host + "\n", architecture(all));
    JsonNode inspect = new ObjectMapper().readTree(cli(all, "inspect", "fx/multi:both"));
    JsonNode index = inspect.get(0).get("Index");
    assertEquals("application/vnd.oci.image.index.v1+json", index.get("MediaType").asText());
    assertEquals("[\"linux/amd64\",\"linux/arm64/v8\"]", index.get("Platforms").toString());
    assertTrue(index.get("Digest").asText().startsWith("sha256:"));
    assertEquals(2, cli(all, "images", "-q").lines().count(), "both images are there");
  }

  private String architecture(Path root) throws IOException {
    JsonNode inspect = new ObjectMapper().readTree(cli(root, "inspect", "fx/multi:both"));
    return inspect.get(0).get("Architecture").asText() + "\n";
  }

  @Test
  void dockerRunsTheHostsImageOfAnAllPlatformsLoad() throws Exception {
    PlatformRequirements.requireKernelOverlay();
    PlatformRequirements.require(
        PrivateDocker.available(), "a dockerd binary (Debian package docker.io)");
    Path layout = tmp.resolve("both");
    OciLayoutBuilder.twoPlatforms(Fixtures.fixtures().resolve("fx-multi.oci"), "fx/multi:both")
        .writeDir(layout);
    Path root = tmp.resolve("root");
    cli(root, "load", "--all-platforms", "-i", layout.toString());
    String id =
        new ObjectMapper()
            .readTree(cli(root, "inspect", "fx/multi:both"))
            .get(0)
            .get("Id")
            .asText();
    try (PrivateDocker d = PrivateDocker.start(tmp.resolve("d"), root)) {
      PrivateDocker.Result tagged =
          d.docker("image", "inspect", "--format", "{{.Id}} {{.Architecture}}", "fx/multi:both");
      assertEquals(0, tagged.exitCode(), tagged.out());
      assertEquals(id + " amd64", tagged.out().strip());
      PrivateDocker.Result images = d.docker("images", "-q", "--no-trunc");
      assertEquals(2, images.out().strip().lines().count(), images.out());
      PrivateDocker.Result run =
          d.docker(
              "run", "--rm", "--network", "none", "fx/multi:both", "cat", "/etc/conf.d/b.conf");
      assertEquals(0, run.exitCode(), run.out());
      assertEquals("changed", run.out().strip());
    }
  }
}

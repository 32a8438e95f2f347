package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.Digest;
import io.layerstore.Image;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.LoadOptions;
import io.layerstore.LoadedImage;
import io.layerstore.Mount;
import io.layerstore.PlatformIndex;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.OciLayoutBuilder;
import io.layerstore.testkit.RootfsManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Loading OCI image layouts: fx-multi's two layouts (skopeo's, gzip and zstd), as directories and
 * as tars, on jimfs and on disk, give Docker's own root file system; the wire metadata is kept; a
 * multi-platform index gives the platform asked for.
 */
class OciLoadTest {

  /** What skopeo made fx-multi's image id: it rewrites the config (OCI media types, key order). */
  static final ImageId OCI_ID =
      ImageId.parse("sha256:00cded12e77201aa5ced7fdd31ce946e662844fbf5e6d60e2b1f7dfe47d7ef94");

  @TempDir Path disk;
  private FileSystem jimfs;

  @AfterEach
  void closeJimfs() throws IOException {
    if (jimfs != null) {
      jimfs.close();
    }
  }

  private Path base(String backing) {
    if (backing.equals("jimfs")) {
      jimfs = Jimfs.newFileSystem(Configuration.unix());
      return jimfs.getPath("/work");
    }
    return disk;
  }

  /** The layout {@code fixture} in the form asked for: a directory, or a tar of one. */
  private static Path layout(Path base, String fixture, boolean tar) throws IOException {
    OciLayoutBuilder b = OciLayoutBuilder.copyOf(Fixtures.fixtures().resolve(fixture));
    if (tar) {
      Path t = base.resolve(fixture + ".tar");
      Files.createDirectories(base);
      b.writeTar(t);
      return t;
    }
    Path d = base.resolve(fixture);
    b.writeDir(d);
    return d;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "jimfs:fx-multi.oci:dir",
        "jimfs:fx-multi.oci-zstd:tar",
        "disk:fx-multi.oci:tar",
        "disk:fx-multi.oci-zstd:dir"
      })
  void fixtureLayoutsMountToDockersRootfs(String c) throws IOException {
    String[] p = c.split(":");
    Path base = base(p[0]);
    Path input = layout(base, p[1], p[2].equals("tar"));
    try (LayerStore store = LayerStore.open(base.resolve("store"))) {
      List<LoadedImage> loaded = store.loadDetailed(input);
      assertEquals(List.of(new LoadedImage(OCI_ID, List.of("multi:latest"))), loaded);
      try (Mount m = store.mount("multi")) {
        assertEquals(
            RootfsManifest.read(Fixtures.fxMultiManifest(), true),
            RootfsManifest.of(m.root(), true));
      }
      // The same layers as Docker's own archive: loading it next to the layout reads nothing new.
      assertEquals(
          store.image("multi").diffIds(),
          store.image(store.load(Fixtures.fxMultiArchive()).get(0).toString()).diffIds());
    }
  }

  @Test
  void keepsDockersDistributionMetadataAndTheManifestBytes() throws IOException {
    Path base = base("jimfs");
    Path input = layout(base, "fx-multi.oci", false);
    Path root = base.resolve("store");
    try (LayerStore store = LayerStore.open(root)) {
      store.load(input);
      Image img = store.image("multi");
      JsonNode index =
          OciLayoutBuilder.JSON.readTree(Files.readAllBytes(input.resolve("index.json")));
      JsonNode manifestDesc = index.get("manifests").get(0);
      byte[] manifest =
          Files.readAllBytes(
              input.resolve(
                  "blobs/sha256/" + Digest.parse(manifestDesc.get("digest").asText()).hex()));
      JsonNode layers = OciLayoutBuilder.JSON.readTree(manifest).get("layers");
      Path dist = root.resolve("image/overlay2/distribution");
      for (int i = 0; i < layers.size(); i++) {
        Digest blob = Digest.parse(layers.get(i).get("digest").asText());
        String diffId = img.diffIds().get(i).toString();
        assertEquals(
            diffId,
            Files.readString(dist.resolve("diffid-by-digest/sha256/" + blob.hex())),
            "layer " + i);
        assertEquals(
            "[{\"Digest\":\""
                + blob
                + "\",\"SourceRepository\":\"docker.io/library/multi\",\"HMAC\":\"\"}]",
            Files.readString(
                dist.resolve(
                    "v2metadata-by-diffid/sha256/" + img.diffIds().get(i).digest().hex())));
      }
      // The manifest as it came, byte for byte, under the image's record.
      Path big = root.resolve("layerstore/bigdata");
      assertArrayEquals(
          manifest,
          Files.readAllBytes(
              big.resolve(
                  "blobs/sha256/" + Digest.parse(manifestDesc.get("digest").asText()).hex())));
      JsonNode rec =
          OciLayoutBuilder.JSON.readTree(
              Files.readAllBytes(big.resolve("images/sha256/" + OCI_ID.digest().hex())));
      assertEquals(manifestDesc.get("digest"), rec.get("manifest").get("digest"));
      assertEquals(0, rec.get("indexes").size());
    }
  }

  // ---- platforms ------------------------------------------------------------------------------

  static OciLayoutBuilder twoPlatforms() throws IOException {
    return OciLayoutBuilder.twoPlatforms(
        Fixtures.fixtures().resolve("fx-multi.oci"), "fx/multi:both");
  }

  private static String arch(LayerStore store, ImageId id) throws IOException {
    return store.image(id.toString()).architecture();
  }

  @Test
  void anIndexGivesTheHostsPlatformOrTheOneAskedFor() throws IOException {
    Path base = base("jimfs");
    Path input = base.resolve("both");
    twoPlatforms().writeDir(input);
    try (LayerStore store = LayerStore.open(base.resolve("store"))) {
      List<ImageId> host = store.load(input);
      assertEquals(1, host.size());
      // This machine is amd64 (CI and the acceptance say so); the test would be wrong elsewhere.
      assertEquals(
          System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64",
          arch(store, host.get(0)));
      List<ImageId> arm = store.load(input, LoadOptions.defaults().platform("linux/arm64"));
      assertEquals("arm64", arch(store, arm.get(0)));
      assertEquals(arm.get(0), store.resolve("fx/multi:both"), "the last load's tag wins");
      assertFalse(store.platformIndex("fx/multi:both").isPresent(), "one platform: no index kept");
    }
  }

  @Test
  void aSingleImageMustBeForThePlatformAskedFor() throws IOException {
    Path base = base("jimfs");
    Path input = layout(base, "fx-multi.oci", false);
    try (LayerStore store = LayerStore.open(base.resolve("store"))) {
      // fx-multi is linux/amd64; asked for arm64 it is refused, as docker load --platform does
      InvalidArchiveException e =
          assertThrows(
              InvalidArchiveException.class,
              () -> store.load(input, LoadOptions.defaults().platform("linux/arm64")));
      assertTrue(e.getMessage().contains("linux/amd64"), e.getMessage());
      assertTrue(e.getMessage().contains("asked for, linux/arm64"), e.getMessage());
      assertTrue(store.images().isEmpty(), "a refused load adds nothing");
      // asked for its own platform, or not asked at all, it loads
      assertEquals(1, store.load(input, LoadOptions.defaults().platform("linux/amd64")).size());
      assertEquals(1, store.load(input).size());
    }
  }

  @Test
  void platformsListedInIndexJsonItselfGiveOneImage() throws IOException {
    OciLayoutBuilder b = twoPlatforms();
    JsonNode nested =
        OciLayoutBuilder.JSON.readTree(b.blobOf(b.indexJson().get("manifests").get(0)));
    List<ObjectNode> flat = new ArrayList<>();
    for (JsonNode m : nested.get("manifests")) {
      ObjectNode e = m.deepCopy();
      e.putObject("annotations").put("org.opencontainers.image.ref.name", "fx/multi:flat");
      flat.add(e);
    }
    b.index(flat.toArray(ObjectNode[]::new));
    Path base = base("jimfs");
    Path input = base.resolve("flat");
    b.writeDir(input);
    try (LayerStore store = LayerStore.open(base.resolve("store"))) {
      List<ImageId> host = store.load(input);
      assertEquals(1, host.size());
      assertEquals(arch(store, host.get(0)), arch(store, store.resolve("fx/multi:flat")));
      List<ImageId> arm = store.load(input, LoadOptions.defaults().platform("linux/arm64/v8"));
      assertEquals(1, arm.size());
      assertEquals("arm64", arch(store, arm.get(0)));
    }
  }

  @Test
  void allPlatformsKeepsEveryImageAndTheIndex() throws IOException {
    Path base = base("jimfs");
    Path input = base.resolve("both");
    OciLayoutBuilder b = twoPlatforms();
    b.writeDir(input);
    try (LayerStore store = LayerStore.open(base.resolve("store"))) {
      List<LoadedImage> all =
          store.loadDetailed(input, LoadOptions.defaults().platform("linux/amd64").allPlatforms());
      assertEquals(2, all.size());
      List<String> archs = new ArrayList<>();
      for (LoadedImage l : all) {
        archs.add(arch(store, l.id()));
      }
      assertEquals(List.of("amd64", "arm64"), archs);
      assertEquals(List.of("fx/multi:both"), all.get(0).tags(), "the wanted platform is tagged");
      assertEquals(List.of(), all.get(1).tags());
      PlatformIndex index = store.platformIndex("fx/multi:both").orElseThrow();
      Digest digest = Digest.parse(b.indexJson().get("manifests").get(0).get("digest").asText());
      assertEquals(digest, index.digest());
      assertEquals(List.of("linux/amd64", "linux/arm64/v8"), index.platforms());
      try (Mount m = store.mount(all.get(1).id())) {
        assertEquals(
            "changed\n",
            Files.readString(m.root().resolve("etc/conf.d/b.conf"), StandardCharsets.UTF_8));
      }
      // The tag may move to the index's other image; moved to any other image, the index goes.
      store.tag(all.get(1).id().toString(), "fx/multi:both");
      assertEquals(digest, store.platformIndex("fx/multi:both").orElseThrow().digest());
      store.tag(store.load(Fixtures.fxMultiArchive()).get(0).toString(), "fx/multi:both");
      assertTrue(store.platformIndex("fx/multi:both").isEmpty());
    }
  }
}

package io.layerstore.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.InvalidArchiveException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OciModelTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String D1 = "sha256:" + "a".repeat(64);
  private static final String D2 = "sha256:" + "b".repeat(64);

  @Test
  void platformsNormalizeAsContainerdDoes() {
    assertEquals("linux/arm64", OciPlatform.parse("linux/aarch64/v8").toString());
    assertEquals("linux/amd64", OciPlatform.parse("Linux/x86_64").toString());
    assertEquals("linux/arm/v7", OciPlatform.parse("linux/arm").toString());
    assertEquals("linux/arm/v7", OciPlatform.parse("linux/armhf").toString());
    assertEquals("linux/arm/v6", OciPlatform.parse("linux/arm/6").toString());
    assertTrue(OciPlatform.parse("linux/arm64").matches(new OciPlatform("linux", "arm64", "v8")));
    assertFalse(OciPlatform.parse("linux/arm/v7").matches(OciPlatform.parse("linux/arm/v6")));
    assertThrows(IllegalArgumentException.class, () -> OciPlatform.parse("linux"));
    assertThrows(IllegalArgumentException.class, () -> OciPlatform.parse("linux//v7"));
    assertThrows(IllegalArgumentException.class, () -> OciPlatform.parse("a/b/c/d"));
  }

  @Test
  void indexSelectsTheBestAcceptablePlatform() throws Exception {
    String idx =
        "{\"schemaVersion\":2,\"manifests\":["
            + entry(D1, "linux", "arm", "v6")
            + ","
            + entry(D2, "linux", "arm", "v7")
            + "]}";
    OciIndex index = OciIndex.parse(idx.getBytes(StandardCharsets.UTF_8), null, "t", JSON);
    // arm64 runs 32-bit arm; v7 ranks before v6 whatever the order in the index.
    assertEquals(D2, index.select(OciPlatform.parse("linux/arm64")).get().digest().toString());
    assertEquals(D1, index.select(OciPlatform.parse("linux/arm/v6")).get().digest().toString());
    assertTrue(index.select(OciPlatform.parse("linux/amd64")).isEmpty());
  }

  @Test
  void documentsAreReadStrictly() {
    assertRefused("{\"schemaVersion\":1,\"manifests\":[]}", "schemaVersion");
    assertRefused(
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" + D1 + "\"}]}",
        "no valid size");
    assertRefused(
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha512:ab\","
            + "\"size\":1}]}",
        "only sha256");
    assertRefused(
        "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"manifests\":[]}",
        "not an image index");
  }

  @Test
  void fixtureManifestRoundTripsItsDescriptors() throws Exception {
    Path layout = Path.of(System.getProperty("layerstore.fixtures"), "fx-multi.oci");
    OciIndex index =
        OciIndex.parse(Files.readAllBytes(layout.resolve("index.json")), null, "i", JSON);
    Descriptor m = index.manifests().get(0);
    assertEquals("multi", m.referenceName().orElseThrow());
    byte[] raw = Files.readAllBytes(layout.resolve("blobs/sha256/" + m.digest().hex()));
    assertEquals(m.size(), raw.length);
    OciManifest manifest = OciManifest.parse(raw, m.mediaType(), "m", JSON);
    assertFalse(manifest.layers().isEmpty());
    for (Descriptor l : manifest.layers()) {
      assertTrue(MediaTypes.layerCompression(l.mediaType()).isPresent(), l.mediaType());
      assertEquals(
          l.size(), Files.size(layout.resolve("blobs/sha256/" + l.digest().hex())), l.toString());
    }
    assertTrue(MediaTypes.isConfig(manifest.config().mediaType()));
    assertEquals(
        JSON.readTree(raw).get("config").toString(),
        manifest.config().toJson().toString(),
        "descriptor re-serialized");
  }

  private static String entry(String digest, String os, String arch, String variant) {
    return "{\"mediaType\":\""
        + MediaTypes.OCI_MANIFEST
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":10,\"platform\":{\"architecture\":\""
        + arch
        + "\",\"os\":\""
        + os
        + "\",\"variant\":\""
        + variant
        + "\"}}";
  }

  private static void assertRefused(String json, String why) {
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () -> OciIndex.parse(json.getBytes(StandardCharsets.UTF_8), null, "t", JSON));
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }
}

package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.ConflictException;
import io.layerstore.Digest;
import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import io.layerstore.NotFoundException;
import io.layerstore.SaveOptions;
import io.layerstore.SaveOptions.Compression;
import io.layerstore.SaveOptions.Format;
import io.layerstore.format.Descriptor;
import io.layerstore.format.MediaTypes;
import io.layerstore.format.OciIndex;
import io.layerstore.format.OciManifest;
import io.layerstore.testkit.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code save} as an OCI image layout, on jimfs (no platform needed): the layout's structure as the
 * image spec and Docker ≥ 25 lay it out, blobs that hash to their names, layers that are the docker
 * save's layers byte for byte (or compress to them), the same bytes on every save, and bad requests
 * that leave nothing behind. {@link OciSaveInteropTest} has the real readers.
 */
class OciSaveTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FX_MULTI_MANIFEST_TAG = "multi";

  private FileSystem fs;
  private LayerStore store;

  @BeforeEach
  void loadFxMulti() throws IOException {
    fs =
        Jimfs.newFileSystem(
            Configuration.unix().toBuilder()
                .setAttributeViews("basic", "owner", "posix", "unix", "user")
                .build());
    Path archive = fs.getPath("/fx-multi.tar");
    Files.copy(Fixtures.fxMultiArchive(), archive);
    store = LayerStore.open(fs.getPath("/store"));
    store.load(archive);
  }

  @AfterEach
  void close() throws IOException {
    store.close();
    fs.close();
  }

  private static SaveOptions oci(Compression c) {
    return SaveOptions.defaults().format(Format.OCI).compression(c);
  }

  /** The tar's regular files by name, in archive order; directories as names ending in "/". */
  static Map<String, byte[]> members(byte[] tar) throws IOException {
    return members(tar, true);
  }

  private static Map<String, byte[]> members(byte[] tar, boolean ours) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e = in.getNextTarEntry(); e != null; e = in.getNextTarEntry()) {
        out.put(e.getName(), e.isDirectory() ? new byte[0] : in.readAllBytes());
        if (ours) {
          assertEquals(
              0, e.getModTime().getTime(), e.getName() + ": time zero, for the same bytes");
          assertEquals("root", e.getUserName(), e.getName());
        }
      }
    }
    return out;
  }

  private static byte[] decompress(byte[] blob, Compression c) throws IOException {
    InputStream in =
        switch (c) {
          case NONE -> new ByteArrayInputStream(blob);
          case GZIP -> new GZIPInputStream(new ByteArrayInputStream(blob));
          case ZSTD -> new ZstdInputStream(new ByteArrayInputStream(blob));
        };
    try (in) {
      return in.readAllBytes();
    }
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void theLayoutIsDockersOciLayoutWithTheDockerSavesLayers(Compression c) throws IOException {
    Path out = fs.getPath("/out.tar");
    store.save(List.of("fx:multi"), out, oci(c));
    Map<String, byte[]> m = members(Files.readAllBytes(out));
    Map<String, byte[]> docker = members(Files.readAllBytes(Fixtures.fxMultiArchive()), false);

    List<String> names = new ArrayList<>(m.keySet());
    List<String> sorted = new ArrayList<>(names);
    sorted.sort(null);
    assertEquals(sorted, names, "members in name order");
    assertEquals(List.of("blobs/", "blobs/sha256/"), names.subList(0, 2), "directories come first");
    assertEquals(
        List.of("index.json", "manifest.json", "oci-layout", "repositories"),
        names.subList(names.size() - 4, names.size()));
    for (String n : names) {
      if (n.startsWith("blobs/sha256/") && !n.endsWith("/")) {
        assertEquals(
            n.substring("blobs/sha256/".length()),
            Digest.of(m.get(n)).hex(),
            n + " is named by its digest");
      }
    }
    assertEquals(
        "{\"imageLayoutVersion\": \"1.0.0\"}",
        new String(m.get("oci-layout"), StandardCharsets.UTF_8));

    OciIndex index = OciIndex.parse(m.get("index.json"), null, "index.json", JSON);
    assertEquals(MediaTypes.OCI_INDEX, index.mediaType());
    assertEquals(1, index.manifests().size());
    Descriptor entry = index.manifests().get(0);
    assertEquals(
        Map.of(
            Descriptor.CONTAINERD_IMAGE_NAME,
            "docker.io/library/fx:multi",
            Descriptor.REF_NAME,
            FX_MULTI_MANIFEST_TAG),
        entry.annotations());
    assertEquals("linux/amd64", entry.platform().orElseThrow().toString());
    byte[] manifestBytes = m.get("blobs/sha256/" + entry.digest().hex());
    assertEquals(entry.size(), manifestBytes.length);
    OciManifest manifest = OciManifest.parse(manifestBytes, entry.mediaType(), "manifest", JSON);
    assertEquals(MediaTypes.OCI_MANIFEST, manifest.mediaType());
    assertEquals(Fixtures.FX_MULTI_ID, manifest.config().digest().toString());
    assertEquals(MediaTypes.OCI_CONFIG, manifest.config().mediaType());

    // The layers: in the config's order, each the docker save's layer.tar (compressed or not).
    JsonNode dockerManifest = JSON.readTree(docker.get("manifest.json")).get(0);
    JsonNode config = JSON.readTree(m.get("blobs/sha256/" + manifest.config().digest().hex()));
    JsonNode diffIds = config.get("rootfs").get("diff_ids");
    assertEquals(diffIds.size(), manifest.layers().size());
    JsonNode ours = JSON.readTree(m.get("manifest.json")).get(0);
    for (int i = 0; i < manifest.layers().size(); i++) {
      Descriptor layer = manifest.layers().get(i);
      assertEquals(
          MediaTypes.ociLayer(io.layerstore.archive.Compression.valueOf(c.name())),
          layer.mediaType());
      byte[] blob = m.get("blobs/sha256/" + layer.digest().hex());
      assertEquals(layer.size(), blob.length);
      byte[] tar = decompress(blob, c);
      assertArrayEquals(docker.get(dockerManifest.get("Layers").get(i).asText()), tar);
      assertEquals(diffIds.get(i).asText(), Digest.of(tar).toString());
      if (c == Compression.NONE) {
        assertEquals(diffIds.get(i).asText(), layer.digest().toString());
      }
      // manifest.json, for Docker's load: the blob's path, and its descriptor by diffID
      assertEquals("blobs/sha256/" + layer.digest().hex(), ours.get("Layers").get(i).asText());
      JsonNode source = ours.get("LayerSources").get(diffIds.get(i).asText());
      assertEquals(layer.digest().toString(), source.get("digest").asText());
      assertEquals(layer.size(), source.get("size").asLong());
      assertEquals(layer.mediaType(), source.get("mediaType").asText());
    }
    assertEquals("blobs/sha256/" + manifest.config().digest().hex(), ours.get("Config").asText());
    assertEquals("[\"fx:multi\"]", ours.get("RepoTags").toString());
    assertEquals(
        "{\"fx\":{\"multi\":\"" + diffIds.get(diffIds.size() - 1).asText().substring(7) + "\"}}\n",
        new String(m.get("repositories"), StandardCharsets.UTF_8));
    // nothing but what the manifests reference, and the documents
    assertEquals(2 + manifest.layers().size() + 2 + 4, m.size());
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void theSameImagesSavedTwiceGiveTheSameBytesAsTarAndAsDirectory(Compression c)
      throws IOException {
    List<String> before = rootNames();
    store.save(List.of("fx:multi"), fs.getPath("/a.tar"), oci(c));
    store.save(List.of("fx:multi"), fs.getPath("/b.tar"), oci(c));
    byte[] a = Files.readAllBytes(fs.getPath("/a.tar"));
    assertArrayEquals(a, Files.readAllBytes(fs.getPath("/b.tar")));

    Path dir = fs.getPath("/layout");
    store.save(List.of("fx:multi"), dir, oci(c).format(Format.OCI_DIR));
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted().toList()) {
        String name = dir.relativize(p).toString();
        if (Files.isDirectory(p)) {
          if (!name.isEmpty()) {
            files.put(name + "/", new byte[0]);
          }
        } else {
          files.put(name, Files.readAllBytes(p));
        }
      }
    }
    Map<String, byte[]> tar = members(a);
    assertEquals(tar.keySet(), files.keySet(), "the directory holds the tar's files");
    tar.forEach((n, b) -> assertArrayEquals(b, files.get(n), n));
    List<String> after = new ArrayList<>(before);
    after.addAll(List.of("a.tar", "b.tar", "layout"));
    after.sort(null);
    assertEquals(after, rootNames(), "no temp file left");
  }

  @Test
  void imagesByIdAndSeveralTagsEachGetAnIndexEntryAndSharedBlobsAreWrittenOnce()
      throws IOException {
    store.tag("fx:multi", "example.com/team/fx:v2");
    store.save(
        List.of("fx:multi", "example.com/team/fx:v2", Fixtures.FX_MULTI_ID),
        fs.getPath("/out.tar"),
        oci(Compression.GZIP));
    Map<String, byte[]> m = members(Files.readAllBytes(fs.getPath("/out.tar")));
    OciIndex index = OciIndex.parse(m.get("index.json"), null, "index.json", JSON);
    assertEquals(2, index.manifests().size(), "one entry per tag; the id names the same image");
    assertEquals(
        "docker.io/library/fx:multi",
        index.manifests().get(0).annotations().get(Descriptor.CONTAINERD_IMAGE_NAME));
    assertEquals(
        "example.com/team/fx:v2",
        index.manifests().get(1).annotations().get(Descriptor.CONTAINERD_IMAGE_NAME));
    assertEquals("v2", index.manifests().get(1).annotations().get(Descriptor.REF_NAME));
    assertEquals(index.manifests().get(0).digest(), index.manifests().get(1).digest());
    JsonNode manifestJson = JSON.readTree(m.get("manifest.json"));
    assertEquals(1, manifestJson.size());
    assertEquals(
        "[\"fx:multi\",\"example.com/team/fx:v2\"]",
        manifestJson.get(0).get("RepoTags").toString());

    // by id alone: one entry without names, and RepoTags null, as Docker writes them
    store.save(List.of(Fixtures.FX_MULTI_ID), fs.getPath("/id.tar"), oci(Compression.NONE));
    Map<String, byte[]> byId = members(Files.readAllBytes(fs.getPath("/id.tar")));
    OciIndex idIndex = OciIndex.parse(byId.get("index.json"), null, "index.json", JSON);
    assertEquals(1, idIndex.manifests().size());
    assertTrue(idIndex.manifests().get(0).annotations().isEmpty());
    assertTrue(JSON.readTree(byId.get("manifest.json")).get(0).get("RepoTags").isNull());
    assertFalse(byId.containsKey("repositories"));
  }

  @Test
  void theDockerFormatStaysTheDefaultAndByteExact() throws IOException {
    store.save(List.of("fx:multi"), fs.getPath("/d.tar"), SaveOptions.defaults());
    assertArrayEquals(
        Files.readAllBytes(Fixtures.fxMultiArchive()), Files.readAllBytes(fs.getPath("/d.tar")));
  }

  @Test
  void badRequestsLeaveNothingBehind() throws IOException {
    List<String> before = rootNames();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                store.save(
                    List.of("fx:multi"),
                    fs.getPath("/x.tar"),
                    SaveOptions.defaults().compression(Compression.GZIP)));
    assertTrue(e.getMessage().contains("uncompressed"), e.getMessage());
    assertThrows(
        NotFoundException.class,
        () ->
            store.save(List.of("fx:multi", "nope:1"), fs.getPath("/x.tar"), oci(Compression.ZSTD)));
    Path full = Files.createDirectory(fs.getPath("/full"));
    Files.writeString(full.resolve("keep"), "mine");
    ConflictException c =
        assertThrows(
            ConflictException.class,
            () ->
                store.save(
                    List.of("fx:multi"), full, oci(Compression.NONE).format(Format.OCI_DIR)));
    assertTrue(c.getMessage().contains("/full is not empty"), c.getMessage());
    assertEquals("mine", Files.readString(full.resolve("keep")));
    // a tar cannot replace a directory: it fails at the end, with its temp and scratch files gone
    assertThrows(
        IOException.class, () -> store.save(List.of("fx:multi"), full, oci(Compression.GZIP)));
    assertEquals("mine", Files.readString(full.resolve("keep")));
    Files.delete(full.resolve("keep"));
    Files.delete(full);
    assertEquals(before, rootNames(), "no output and no temp file left");
    // an empty directory is taken
    Path empty = Files.createDirectory(fs.getPath("/empty"));
    store.save(List.of("fx:multi"), empty, oci(Compression.NONE).format(Format.OCI_DIR));
    assertTrue(Files.exists(empty.resolve("index.json")));
  }

  @Test
  void aLayerThatChangedSinceItWasStoredFailsTheSaveAndLeavesNoFileBehind() throws IOException {
    Path changed;
    try (Stream<Path> walk = Files.walk(fs.getPath("/store/overlay2"))) {
      changed =
          walk.filter(p -> p.toString().contains("/diff/") && p.endsWith("b.conf"))
              .findFirst()
              .orElseThrow();
    }
    Files.writeString(changed, "tampered");
    List<String> before = rootNames();
    for (SaveOptions o :
        List.of(
            oci(Compression.GZIP),
            oci(Compression.NONE),
            oci(Compression.ZSTD).format(Format.OCI_DIR))) {
      LayerStoreException e =
          assertThrows(
              LayerStoreException.class,
              () -> store.save(List.of("fx:multi"), fs.getPath("/out"), o),
              o.toString());
      assertTrue(
          e.getMessage().contains("b.conf") || e.getMessage().contains("changed"), e.getMessage());
      assertEquals(before, rootNames(), o + ": no output, no temp file, no scratch directory");
    }
  }

  private List<String> rootNames() throws IOException {
    try (Stream<Path> s = Files.list(fs.getPath("/"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.ImageSummary;
import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import io.layerstore.RemoveOptions;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Fuzzes the {@code docker save} loader end to end on a store in jimfs: the manifest parser, the
 * config parser, the legacy {@code repositories} path, and — with both made valid around a fuzzed
 * layer — the layer path (decompression, tar, unpacker, whiteouts, the emulated platform). Any
 * input is loaded or refused with a {@link LayerStoreException}; a refused input leaves the store's
 * listing as it was and a deep fsck clean; a loaded layer saves back byte for byte, and removing
 * what was loaded succeeds and leaves the store as it was.
 */
class DockerArchiveFuzzTest {

  private static final FileSystem FS =
      Jimfs.newFileSystem(
          Configuration.unix().toBuilder()
              .setAttributeViews("basic", "owner", "posix", "unix")
              .build());
  private static final LayerStore STORE = open();
  private static final Path ARCHIVE = FS.getPath("/in.tar");

  private static LayerStore open() {
    try {
      return LayerStore.builder(FS.getPath("/store"))
          .maxLayerBytes(1 << 20)
          .maxImageBytes(2 << 20)
          .open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "5s")
  @DictionaryEntries({
    "[{\"Config\":\"config.json\",\"RepoTags\":[\"a:b\"],\"Layers\":[\"layer.tar\"]}]",
    "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:",
    "\"history\":[{\"empty_layer\":true}]",
    "\"Parent\":\"sha256:",
    "layer.tar",
    "config.json",
    "repositories",
    "l1/json",
    "l1/layer.tar",
    "{\"parent\":\"",
    ".wh.",
    ".wh..wh..opq",
    "ustar\u000000"
  })
  void loadsOrRefusesCleanly(FuzzedDataProvider data) throws IOException {
    int mode = data.consumeInt(0, 3);
    String manifest;
    String config;
    byte[] layer;
    String extraName = null;
    byte[] extra = null;
    switch (mode) {
      case 0: // everything fuzzed
        manifest = data.consumeString(1500);
        config = data.consumeString(1500);
        layer = data.consumeRemainingAsBytes();
        break;
      case 1: // a valid manifest around a fuzzed config
        config = data.consumeString(3000);
        layer = data.consumeRemainingAsBytes();
        manifest =
            "[{\"Config\":\"config.json\",\"RepoTags\":[\"fuzz:1\"],\"Layers\":[\"layer.tar\"]}]";
        break;
      case 2: // a legacy archive: fuzzed v1 json and repositories
        manifest = null;
        extraName = "l1/json";
        extra = data.consumeString(1500).getBytes(StandardCharsets.UTF_8);
        config = data.consumeString(500); // written as "repositories"
        layer = data.consumeRemainingAsBytes();
        break;
      default: // valid manifest and config around a fuzzed layer
        layer = data.consumeRemainingAsBytes();
        manifest =
            "[{\"Config\":\"config.json\",\"RepoTags\":[\"fuzz:1\"],\"Layers\":[\"layer.tar\"]}]";
        config =
            "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
                + Digest.of(layer).hex()
                + "\"]}}";
    }
    write(mode, manifest, config, layer, extraName, extra);
    List<ImageSummary> before = STORE.images();
    List<ImageId> ids;
    try {
      ids = STORE.load(ARCHIVE);
    } catch (LayerStoreException e) {
      // refused: the store must be exactly as it was, down to its layers' content
      assertEquals(before, STORE.images(), () -> "a refused input changed the listing: " + e);
      assertClean("after a refused input (" + e + ")");
      return;
    }
    if (mode == 3) {
      assertArrayEquals(layer, WellFormedEdgesTest.savedLayers(STORE, ids.get(0)).get(0));
    }
    // Newest first, so that an image is removed before one it was built on; a refusal here is a
    // bug, not an outcome of the input.
    for (int k = ids.size() - 1; k >= 0; k--) {
      ImageId id = ids.get(k);
      if (STORE.images().stream().anyMatch(i -> i.id().equals(id))) {
        STORE.remove(id.toString(), RemoveOptions.defaults().force());
      }
    }
    assertEquals(before, STORE.images(), "removing what was loaded leaves the store as it was");
    assertClean("after removing what was loaded");
  }

  /** A deep fsck (every layer rebuilt and hashed) finds nothing at all. */
  private static void assertClean(String when) throws IOException {
    CheckReport r = STORE.check(CheckOptions.defaults().deep());
    assertTrue(r.problems().isEmpty(), () -> "fsck --deep " + when + ": " + r.problems());
  }

  private static void write(
      int mode, String manifest, String config, byte[] layer, String extraName, byte[] extra)
      throws IOException {
    try (OutputStream out = Files.newOutputStream(ARCHIVE)) {
      TarWriter w = new TarWriter(out);
      if (mode == 2) {
        member(w, "l1/layer.tar", layer);
        member(w, extraName, extra);
        member(w, "repositories", config.getBytes(StandardCharsets.UTF_8));
      } else {
        member(w, "layer.tar", layer);
        member(w, "config.json", config.getBytes(StandardCharsets.UTF_8));
        member(w, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
      }
      w.finish();
    }
  }

  private static void member(TarWriter w, String name, byte[] data) throws IOException {
    w.putNextEntry(
        TarHeader.builder(name, TarHeader.REGULAR)
            .mode(0100644)
            .size(data.length)
            .mtime(Instant.EPOCH)
            .build());
    w.write(data, 0, data.length);
  }
}

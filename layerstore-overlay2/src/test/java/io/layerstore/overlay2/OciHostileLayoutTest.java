package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.testkit.LayerTar;
import io.layerstore.testkit.OciLayoutBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile OCI layouts: each must end in an error that names the descriptor at fault, with the store
 * exactly as it was, lock files included.
 */
class OciHostileLayoutTest {
  private static final String MANIFEST = OciLayoutBuilder.MANIFEST;
  private static final String INDEX = OciLayoutBuilder.INDEX;
  private static final String CONFIG = OciLayoutBuilder.CONFIG;
  private static final String GZIP_LAYER = OciLayoutBuilder.GZIP_LAYER;

  private KeptImageStore kept;
  private FileSystem fs;
  private LayerStore store;

  @BeforeEach
  void setUp() throws IOException {
    kept = KeptImageStore.open();
    fs = kept.fs;
    store = kept.store;
  }

  @AfterEach
  void tearDown() throws IOException {
    kept.close();
  }

  /** Every path below the store's root, lock files included. */
  private List<String> snapshot() throws IOException {
    return kept.snapshot(p -> false);
  }

  /** A good one-layer image: layout, and the descriptors a test may spoil. */
  private static final class Good {
    final OciLayoutBuilder b = new OciLayoutBuilder();
    final byte[] tar = LayerTar.create().dir("etc", 0755).file("etc/hi", "hi\n", 0644).bytes();
    final byte[] gz;
    final ObjectNode layer;
    final ObjectNode config;
    final ObjectNode manifest;
    final ObjectNode entry;

    Good() throws IOException {
      gz = OciLayoutBuilder.gzip(tar);
      layer = b.descriptor(GZIP_LAYER, gz);
      config = b.descriptor(CONFIG, OciLayoutBuilder.config("amd64", Digest.of(tar)));
      manifest = OciLayoutBuilder.manifest(config, layer);
      entry = b.descriptor(MANIFEST, OciLayoutBuilder.bytes(manifest));
      entry.putObject("annotations").put("org.opencontainers.image.ref.name", "hostile:1");
      b.index(entry);
    }

    /** Re-adds the (edited) manifest and points index.json at it. */
    Good remanifest() {
      ObjectNode e = b.descriptor(MANIFEST, OciLayoutBuilder.bytes(manifest));
      b.index(e);
      return this;
    }
  }

  /**
   * Loads the layout (as a directory and as a tar), expecting a refusal naming {@code names}, and
   * the store unchanged, lock files included: also for a defect only reading the layer finds, after
   * the chain locks were taken (they are byte ranges of one file the store made when it opened).
   */
  private void refused(OciLayoutBuilder b, String... names) throws IOException {
    for (boolean tar : new boolean[] {false, true}) {
      Path in = fs.getPath(tar ? "/in-" + System.nanoTime() + ".tar" : "/in-" + System.nanoTime());
      if (tar) {
        b.writeTar(in);
      } else {
        b.writeDir(in);
      }
      List<String> before = snapshot();
      InvalidArchiveException e = assertThrows(InvalidArchiveException.class, () -> store.load(in));
      for (String n : names) {
        assertTrue(e.getMessage().contains(n), (tar ? "tar: " : "dir: ") + e.getMessage());
      }
      assertEquals(before, snapshot(), e.getMessage());
      assertEquals(1, store.images().size());
    }
  }

  @Test
  void theGoodOneLoads() throws IOException {
    Good g = new Good();
    Path in = fs.getPath("/good");
    g.b.writeDir(in);
    store.load(in);
    assertEquals(2, store.images().size());
    assertEquals(1, store.image("hostile:1").diffIds().size());
  }

  @Test
  void unknownLayoutVersion() throws IOException {
    Good g = new Good();
    g.b.put("oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}".getBytes(StandardCharsets.UTF_8));
    refused(g.b, "oci-layout", "unknown imageLayoutVersion \"2.0.0\"");
  }

  @Test
  void configDigestDoesNotMatch() throws IOException {
    Good g = new Good();
    String name = "blobs/sha256/" + Digest.parse(g.config.get("digest").asText()).hex();
    byte[] c = g.b.file(name).clone();
    c[c.length - 2] ^= 1; // same size, other content
    g.b.put(name, c);
    refused(g.b, "config (" + g.config.get("digest").asText() + ")", "does not match its digest");
  }

  @Test
  void layerDigestDoesNotMatch() throws IOException {
    Good g = new Good();
    // Another gzip of the same tar: the diffID holds, the blob digest does not.
    byte[] other = OciLayoutBuilder.gzip(g.tar);
    other[4] = 1; // the gzip header's mtime: still valid gzip, other bytes
    g.b.put("blobs/sha256/" + Digest.parse(g.layer.get("digest").asText()).hex(), other);
    refused(g.b, "layers[0] (" + g.layer.get("digest").asText() + ")", "does not match its digest");
  }

  @Test
  void descriptorSizeLies() throws IOException {
    Good g = new Good();
    g.layer.put("size", g.gz.length - 1);
    g.remanifest();
    refused(g.b, "layers[0] (" + g.layer.get("digest").asText() + ")", "declares");
    Good h = new Good();
    h.entry.put("size", h.entry.get("size").asLong() + 10);
    h.b.index(h.entry);
    refused(h.b, "manifests[0] (" + h.entry.get("digest").asText() + ")", "declares");
  }

  @Test
  void unknownMediaTypes() throws IOException {
    Good g = new Good();
    g.layer.put("mediaType", "application/vnd.example.layer.v1.tar+lz4");
    g.remanifest();
    refused(g.b, "layers[0] (" + g.layer.get("digest").asText() + ")", "unknown media type");
    Good h = new Good();
    h.entry.put("mediaType", "application/vnd.example.thing");
    h.b.index(h.entry);
    refused(h.b, "manifests[0] (" + h.entry.get("digest").asText() + ")", "unknown media type");
  }

  @Test
  void symlinkedBlob() throws IOException {
    Good g = new Good();
    String name = "blobs/sha256/" + Digest.parse(g.layer.get("digest").asText()).hex();
    byte[] data = g.b.file(name);
    g.b.put("elsewhere/layer", data).symlink(name, "../../elsewhere/layer");
    refused(g.b, "layers[0] (" + g.layer.get("digest").asText() + ")", "link");
  }

  @Test
  void blobPathLeavingTheLayout() throws IOException {
    Good g = new Good();
    String name = "blobs/sha256/" + Digest.parse(g.config.get("digest").asText()).hex();
    g.b.symlink(name, "../../../../etc/passwd");
    refused(g.b, "config (" + g.config.get("digest").asText() + ")");
  }

  @Test
  void indexThatRefersToItself() throws IOException {
    Good g = new Good();
    // An index can't hold its own digest; a layout can claim it does.
    ObjectNode idx = OciLayoutBuilder.JSON.createObjectNode();
    idx.put("schemaVersion", 2);
    String self = "sha256:" + "ab".repeat(32);
    ObjectNode loop = idx.putArray("manifests").addObject();
    loop.put("mediaType", INDEX);
    loop.put("digest", self);
    byte[] raw = OciLayoutBuilder.bytes(idx);
    loop.put("size", raw.length);
    raw = OciLayoutBuilder.bytes(idx);
    g.b.put("blobs/sha256/" + "ab".repeat(32), raw);
    ObjectNode top = OciLayoutBuilder.JSON.createObjectNode();
    top.put("mediaType", INDEX);
    top.put("digest", self);
    top.put("size", raw.length);
    g.b.index(top);
    refused(g.b, self);
  }

  @Test
  void indexesNestedDeeperThanEight() throws IOException {
    Good g = new Good();
    ObjectNode below = g.entry.deepCopy();
    below.remove("annotations");
    below.putObject("platform").put("architecture", "amd64").put("os", "linux");
    for (int level = 0; level < 9; level++) {
      ObjectNode idx = OciLayoutBuilder.JSON.createObjectNode();
      idx.put("schemaVersion", 2);
      idx.put("mediaType", INDEX);
      idx.putArray("manifests").add(below);
      below = g.b.descriptor(INDEX, OciLayoutBuilder.bytes(idx));
      below.putObject("platform").put("architecture", "amd64").put("os", "linux");
    }
    below.remove("platform");
    g.b.index(below);
    refused(g.b, "nest deeper than 8");
  }
}

package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.LoadOptions;
import io.layerstore.LoadedImage;
import io.layerstore.SaveOptions;
import io.layerstore.testkit.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Archives through streams, as {@code docker load < x}, {@code docker save x | ...} and {@code
 * docker load -i x.tar.gz} take them: a stream is spooled into the store's scratch directory and
 * gone afterwards (also after a refusal, and after a killed process, at the next open); what a
 * stream gets is what a file gets, byte for byte.
 */
class StreamLoadSaveJimfsTest {

  private FileSystem fs;
  private byte[] archive;

  @BeforeEach
  void setUp() throws IOException {
    fs = Jimfs.newFileSystem(Configuration.unix());
    archive = Files.readAllBytes(Fixtures.fxMultiArchive());
  }

  @AfterEach
  void tearDown() throws IOException {
    fs.close();
  }

  private static ImageId fxMulti() {
    return ImageId.parse(Fixtures.FX_MULTI_ID);
  }

  private static List<ImageId> ids(List<LoadedImage> loaded) {
    return loaded.stream().map(LoadedImage::id).toList();
  }

  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(Path::toString).sorted().toList();
    }
  }

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    }
    return out.toByteArray();
  }

  @Test
  void plainAndCompressedStreamsAndFilesLoadTheSameImage() throws IOException {
    Path root = fs.getPath("/store");
    try (LayerStore store = LayerStore.open(root)) {
      List<LoadedImage> loaded =
          store.loadDetailed(new ByteArrayInputStream(archive), "stdin", LoadOptions.defaults());
      assertEquals(List.of(fxMulti()), ids(loaded));
      assertEquals(List.of("fx:multi"), loaded.get(0).tags());
      assertEquals(1, tree(root.resolve("layerstore/tmp")).size(), "scratch left behind");
    }
    Path gz = fs.getPath("/fx-multi.tar.gz");
    Files.write(gz, gzip(archive));
    try (LayerStore store = LayerStore.open(fs.getPath("/store-gz"))) {
      assertEquals(List.of(fxMulti()), store.load(gz));
      assertEquals(1, tree(fs.getPath("/store-gz/layerstore/tmp")).size());
    }
    try (LayerStore store = LayerStore.open(fs.getPath("/store-gz-stream"));
        InputStream in = Files.newInputStream(gz)) {
      assertEquals(
          List.of(fxMulti()), ids(store.loadDetailed(in, "stdin", LoadOptions.defaults())));
      assertTrue(store.check().isClean());
    }
  }

  @Test
  void savedToAStreamIsWhatAFileGets() throws IOException {
    Path src = fs.getPath("/fx.tar");
    Files.write(src, archive);
    try (LayerStore store = LayerStore.open(fs.getPath("/store"))) {
      store.load(src);
      for (SaveOptions options :
          List.of(
              SaveOptions.defaults(),
              SaveOptions.defaults().format(SaveOptions.Format.OCI),
              SaveOptions.defaults()
                  .format(SaveOptions.Format.OCI)
                  .compression(SaveOptions.Compression.GZIP))) {
        Path file = fs.getPath("/out.tar");
        store.save(List.of("fx:multi"), file, options);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        store.save(List.of("fx:multi"), stream, options);
        assertArrayEquals(Files.readAllBytes(file), stream.toByteArray(), options.toString());
        assertEquals(1, tree(fs.getPath("/store/layerstore/tmp")).size(), "scratch left");
      }
      // docker save's archive is the loaded bytes
      ByteArrayOutputStream docker = new ByteArrayOutputStream();
      store.save(List.of("fx:multi"), docker, SaveOptions.defaults());
      assertArrayEquals(archive, docker.toByteArray());
      IllegalArgumentException dir =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  store.save(
                      List.of("fx:multi"),
                      new ByteArrayOutputStream(),
                      SaveOptions.defaults().format(SaveOptions.Format.OCI_DIR)));
      assertTrue(dir.getMessage().contains("directory"), dir.getMessage());
    }
  }

  @Test
  void aRefusedStreamLeavesTheStoreAsItWas() throws IOException {
    Path root = fs.getPath("/store");
    byte[] noise = new byte[100_000];
    new Random(7).nextBytes(noise);
    byte[] truncated = java.util.Arrays.copyOf(gzip(archive), 5000);
    try (LayerStore store = LayerStore.open(root)) {
      List<String> before = tree(root);
      for (byte[] bad : List.of(noise, truncated)) {
        InvalidArchiveException e =
            assertThrows(
                InvalidArchiveException.class,
                () ->
                    store.loadDetailed(
                        new ByteArrayInputStream(bad), "stdin", LoadOptions.defaults()));
        assertTrue(e.getMessage().startsWith("stdin"), e.getMessage());
        assertEquals(before, tree(root));
      }
      assertTrue(store.images().isEmpty());
    }
  }

  private static long temps(CheckReport r) {
    return r.remaining().stream().filter(p -> p.kind() == CheckReport.Kind.TEMP_FILE).count();
  }

  @Test
  void scratchOfADeadProcessIsReportedThenRemovedOnOpen() throws IOException {
    Path root = fs.getPath("/store");
    try (LayerStore store = LayerStore.open(root)) {
      assertTrue(store.check().isClean());
    }
    // what a load killed while copying its stdin leaves: the copy, and nobody holding its claim
    Path left = root.resolve("layerstore/tmp/scratch-0123456789abcdef.tar");
    Files.write(left, archive);
    try (LayerStore store = LayerStore.open(root)) {
      assertFalse(Files.exists(left), "the open removes it");
    }
    try (LayerStore store = LayerStore.open(root)) {
      // left while the store is open by a process that died since: fsck finds and repairs them
      Files.write(left, archive);
      Path dir = root.resolve("layerstore/tmp/scratch-fedcba9876543210.d");
      Files.createDirectories(dir.resolve("blobs"));
      Files.write(dir.resolve("blobs/layer"), new byte[10]);
      CheckReport found = store.check();
      assertEquals(2, temps(found), found.toString());
      CheckReport fixed = store.check(CheckOptions.defaults().repair());
      assertEquals(0, temps(fixed), fixed.toString());
      assertFalse(Files.exists(left));
      assertFalse(Files.exists(dir));
      assertTrue(store.check().isClean());
    }
  }
}

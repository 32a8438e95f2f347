package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.DigestMismatchException;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.UnsafePathException;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import io.layerstore.archive.TarWriter;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.RootfsManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Loading docker-save archives: what is refused, and that a refusal leaves the store as it was. */
class LoadTest {

  private KeptImageStore kept;
  private FileSystem fs;
  private LayerStore store;

  @BeforeEach
  void setUp() throws IOException {
    kept = KeptImageStore.open(); // some state to keep: one image already there
    fs = kept.fs;
    store = kept.store;
  }

  @AfterEach
  void tearDown() throws IOException {
    kept.close();
  }

  /** Every path below the root with its size, except lock files (which exist by design). */
  private List<String> snapshot() throws IOException {
    return kept.snapshot(p -> p.toString().contains("/layerstore/locks/"));
  }

  /**
   * Rewrites fx-multi's archive, letting {@code edit} change (or drop, by returning null) members.
   */
  private Path rewrite(String name, BiFunction<TarHeader, byte[], byte[]> edit) throws IOException {
    Path out = fs.getPath("/" + name);
    try (InputStream in = Files.newInputStream(Fixtures.fxMultiArchive());
        OutputStream os = Files.newOutputStream(out);
        TarWriter w = new TarWriter(os)) {
      TarReader r = new TarReader(in, "fx");
      TarHeader h;
      while ((h = r.next()) != null) {
        byte[] data = r.content().readAllBytes();
        byte[] changed = edit.apply(h, data);
        if (changed == null) {
          continue;
        }
        w.putNextEntry(h.toBuilder().size(h.isRegular() ? changed.length : 0).build());
        w.write(changed, 0, changed.length);
      }
    }
    return out;
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void diffIdMismatchLeavesTheStoreAsItWas() throws IOException {
    Path bad =
        rewrite(
            "bad-diffid.tar",
            (h, d) -> {
              if (h.name().endsWith(".json")
                  && !h.name().contains("/")
                  && !h.name().equals("manifest.json")) {
                String c = text(d);
                int i = c.indexOf("\"diff_ids\":[");
                for (int k = 0; k < 3; k++) {
                  i = c.indexOf("sha256:", i + 1);
                }
                assertTrue(i > 0);
                // flip one hex digit of the third diff_id
                char ch = c.charAt(i + 7 + 10);
                c = c.substring(0, i + 17) + (ch == 'a' ? 'b' : 'a') + c.substring(i + 18);
                return c.getBytes(StandardCharsets.UTF_8);
              }
              return d;
            });
    List<String> before = snapshot();
    DigestMismatchException e = assertThrows(DigestMismatchException.class, () -> store.load(bad));
    assertTrue(e.getMessage().contains("invalid diffID for layer 2"), e.getMessage());
    assertTrue(e.getMessage().contains("bad-diffid.tar"), e.getMessage());
    assertEquals(before, snapshot());
    assertEquals(1, store.images().size());
  }

  @Test
  void layerCountMismatch() throws IOException {
    Path bad =
        rewrite(
            "short.tar",
            (h, d) -> {
              if (h.name().equals("manifest.json")) {
                String m = text(d);
                int last = m.lastIndexOf(",\"");
                return (m.substring(0, last) + "]}]\n").getBytes(StandardCharsets.UTF_8);
              }
              return d;
            });
    List<String> before = snapshot();
    InvalidArchiveException e = assertThrows(InvalidArchiveException.class, () -> store.load(bad));
    assertTrue(e.getMessage().contains("layers length mismatch"), e.getMessage());
    assertEquals(before, snapshot());
  }

  @Test
  void manifestPathsMayNotLeaveTheArchive() throws IOException {
    Path bad =
        rewrite(
            "escape.tar",
            (h, d) ->
                h.name().equals("manifest.json")
                    ? text(d)
                        .replaceFirst("\"Layers\":\\[\"", "\"Layers\":[\"../../")
                        .getBytes(StandardCharsets.UTF_8)
                    : d);
    List<String> before = snapshot();
    InvalidArchiveException e = assertThrows(InvalidArchiveException.class, () -> store.load(bad));
    assertTrue(e.getMessage().contains("leaves the archive"), e.getMessage());
    assertEquals(before, snapshot());
  }

  @Test
  void manifestMustBeJson() throws IOException {
    Path bad =
        rewrite(
            "notjson.tar",
            (h, d) ->
                h.name().equals("manifest.json")
                    ? "[{\"Config\": oops".getBytes(StandardCharsets.UTF_8)
                    : d);
    InvalidArchiveException e = assertThrows(InvalidArchiveException.class, () -> store.load(bad));
    assertTrue(
        e.getMessage().contains("manifest.json") && e.getMessage().contains("not valid JSON"),
        e.getMessage());
  }

  @Test
  void unsafeLayerIsRefusedAndNothingStays() throws IOException {
    ImageArchiveBuilder b = new ImageArchiveBuilder().tag("evil:1");
    b.layer().dir("etc", 0755).file("etc/ok", "fine", 0644);
    b.layer()
        .add(
            TarHeader.builder("etc/../../../escape", TarHeader.REGULAR)
                .mode(0644)
                .size(1)
                .mtime(Instant.EPOCH)
                .build(),
            new byte[] {'x'});
    Path bad = fs.getPath("/evil.tar");
    b.write(bad);
    List<String> before = snapshot();
    UnsafePathException e = assertThrows(UnsafePathException.class, () -> store.load(bad));
    assertTrue(e.getMessage().contains("evil.tar"), e.getMessage());
    assertTrue(e.getMessage().contains("etc/../../../escape"), e.getMessage());
    assertEquals(before, snapshot());
    assertTrue(Files.notExists(fs.getPath("/escape")));
  }

  @Test
  void legacyArchiveWithoutManifest() throws IOException {
    Path legacy = rewrite("legacy.tar", (h, d) -> h.name().equals("manifest.json") ? null : d);
    List<ImageId> ids = store.load(legacy);
    // one image per v1 directory, as Docker's legacy loader makes them
    assertEquals(5, ids.size());
    assertNotEquals(ImageId.parse(Fixtures.FX_MULTI_ID), ids.get(ids.size() - 1));
    try (Mount m = store.mount("fx:multi")) {
      assertEquals(
          RootfsManifest.read(Fixtures.fxMultiManifest(), true), RootfsManifest.of(m.root(), true));
    }
    assertEquals(5, store.image("fx:multi").diffIds().size());
  }

  @Test
  void sharedBaseLayersAreExtractedOnce() throws IOException {
    Path a = fs.getPath("/a.tar");
    Path b = fs.getPath("/b.tar");
    for (Path p : List.of(a, b)) {
      ImageArchiveBuilder ib = new ImageArchiveBuilder().tag(p == a ? "img:a" : "img:b");
      ib.layer().dir("base", 0755).file("base/file", "same base\n", 0644);
      ib.layer().file("top", p == a ? "a\n" : "b\n", 0644);
      ib.write(p);
    }
    store.load(a);
    long dirs = layerDirs();
    store.load(b);
    assertEquals(dirs + 1, layerDirs(), "only b's top layer is new");
    store.load(a);
    assertEquals(dirs + 1, layerDirs(), "loading again adds nothing");
  }

  private long layerDirs() throws IOException {
    try (Stream<Path> s = Files.list(kept.root.resolve("overlay2"))) {
      return s.filter(p -> !p.getFileName().toString().equals("l")).count();
    }
  }
}

package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.ChainId;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import io.layerstore.platform.Tree;
import io.layerstore.testkit.LayerOps;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RootfsManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The other side of the corpus: inputs that look dangerous but are well formed must load, keep
 * exactly what they say (where the platform can) and save back byte for byte — setuid files,
 * ordinary device nodes, fifos, symlinks with metadata, a directory replacing a lower symlink —
 * while privileged xattrs in them are never applied.
 */
class WellFormedEdgesTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void overlayAndPrivilegedXattrsInATarAreNeverApplied(String where) throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore store = LayerStore.open(env.root)) {
      byte[] base = new RawLayer().dir("etc/").file("etc/keep", "base\n").end().bytes();
      byte[] top =
          new RawLayer()
              .pax(
                  "SCHILY.xattr.trusted.overlay.opaque=y",
                  "SCHILY.xattr.trusted.overlay.redirect=/elsewhere",
                  "SCHILY.xattr.user.overlay.opaque=y",
                  "SCHILY.xattr.trusted.foo=bar",
                  "SCHILY.xattr.security.selinux=system_u:object_r:shadow_t:s0",
                  "SCHILY.xattr.user.ok=1")
              .dir("etc/")
              .pax(
                  "SCHILY.xattr.trusted.overlay.metacopy=",
                  "SCHILY.xattr.trusted.overlay.origin=x",
                  "SCHILY.xattr.user.note=hi")
              .file("etc/new", "new\n")
              .end()
              .bytes();
      ImageId id =
          store
              .load(
                  new SaveArchive()
                      .layer(base)
                      .layer(top)
                      .tag("xattrs:1")
                      .write(
                          StoreEnv.inputs("edges")
                              .resolve("xattr-smuggling-" + where + ".docker.tar")))
              .get(0);

      try (Mount m = store.mount(id)) {
        assertEquals(
            Set.of("keep", "new"),
            names(m.root().resolve("etc")),
            "etc is not opaque: the smuggled trusted.overlay.opaque was not applied");
      }
      Tree diff = LayerOps.tree(store, cacheId(store, id, 1));
      assertEquals(Set.of("user.ok"), diff.xattrs(diff.root().resolve("etc")).keySet());
      assertEquals(Set.of("user.note"), diff.xattrs(diff.root().resolve("etc/new")).keySet());
      assertArrayEquals(
          top, savedLayers(store, id).get(1), "save gives the layer back byte for byte");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void setuidFilesDevicesAndFifosAreKeptAndSaveBackByteExact(String where) throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore store = LayerStore.open(env.root)) {
      RawLayer r = new RawLayer().dir("bin/");
      r.header("bin/su", '0', 4)
          .mode(04755)
          .add()
          .data("su!\n".getBytes(StandardCharsets.US_ASCII));
      r.header("bin/wall", '0', 0).mode(02755).add();
      r.dir("dev/");
      r.header("dev/null", '3', 0).mode(0666).device(1, 3).add();
      r.header("dev/zero", '3', 0).mode(0666).device(1, 5).add();
      r.header("dev/tty", '3', 0).mode(0666).device(5, 0).add();
      r.dir("run/");
      r.header("run/fifo", '6', 0).mode(0600).add();
      r.header("tmp/", '5', 0).mode(01777).add();
      r.header("home/", '5', 0).mode(02770).uid(1000).add();
      r.header("home/f", '0', 2)
          .mode(0640)
          .uid(1234)
          .add()
          .data("hi".getBytes(StandardCharsets.US_ASCII));
      byte[] layer = r.end().bytes();
      ImageId id =
          store
              .load(
                  new SaveArchive()
                      .layer(layer)
                      .tag("edges:1")
                      .write(
                          StoreEnv.inputs("edges")
                              .resolve("setuid-devices-fifo-" + where + ".docker.tar")))
              .get(0);

      List<String> manifest;
      try (Mount m = store.mount(id)) {
        manifest = RootfsManifest.of(m.root(), false);
      }
      assertTrue(
          manifest.contains("/bin/su\tfile\t4755\t0\t0\t4\t" + sha256("su!\n") + "\t-"),
          manifest::toString);
      assertTrue(
          manifest.contains("/bin/wall\tfile\t2755\t0\t0\t0\t" + sha256("") + "\t-"),
          manifest::toString);
      assertTrue(manifest.contains("/dev/null\tchar\t0666\t0\t0\t0\t1:3\t-"), manifest::toString);
      assertTrue(manifest.contains("/dev/zero\tchar\t0666\t0\t0\t0\t1:5\t-"), manifest::toString);
      assertTrue(manifest.contains("/dev/tty\tchar\t0666\t0\t0\t0\t5:0\t-"), manifest::toString);
      assertTrue(manifest.contains("/run/fifo\tfifo\t0600\t0\t0\t0\t-\t-"), manifest::toString);
      assertTrue(manifest.contains("/tmp\tdir\t1777\t0\t0\t0\t-\t-"), manifest::toString);
      assertTrue(manifest.contains("/home\tdir\t2770\t1000\t0\t0\t-\t-"), manifest::toString);
      assertTrue(
          manifest.contains("/home/f\tfile\t0640\t1234\t0\t2\t" + sha256("hi") + "\t-"),
          manifest::toString);
      // a fifo is never opened on the way out (that would block)
      List<byte[]> saved =
          assertTimeoutPreemptively(Duration.ofSeconds(60), () -> savedLayers(store, id));
      assertArrayEquals(layer, saved.get(0));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void symlinkMetadataIsAppliedToTheLinkNeverThroughIt(String where) throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore store = LayerStore.open(env.root)) {
      Map<String, String> canaryBefore = TreeSnapshot.all(env.canary);
      RawLayer r = new RawLayer();
      r.pax("mtime=1000.5", "SCHILY.xattr.user.pwned=1", "uid=4321", "gid=4321")
          .header("to-file", '2', 0)
          .mode(0777)
          .link(env.canary + "/keep")
          .add();
      r.pax("mtime=1000.5", "SCHILY.xattr.user.pwned=1")
          .header("to-dir", '2', 0)
          .mode(0777)
          .uid(4321)
          .link(env.canary + "/sub")
          .add();
      ImageId id =
          store
              .load(
                  new SaveArchive()
                      .layer(r.end().bytes())
                      .write(
                          StoreEnv.inputs("edges")
                              .resolve("symlink-metadata-" + where + ".docker.tar")))
              .get(0);
      assertEquals(
          canaryBefore,
          TreeSnapshot.all(env.canary),
          "owner, mode, times and xattrs stayed on the links");
      try (Mount m = store.mount(id)) {
        Map<String, Object> a =
            Files.readAttributes(
                m.root().resolve("to-file"),
                "unix:uid,lastModifiedTime",
                LinkOption.NOFOLLOW_LINKS);
        assertEquals(4321, ((Number) a.get("uid")).intValue());
        assertEquals(
            1000L,
            ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void aDirectoryMayReplaceASymlinkOfALowerLayer(String where) throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore store = LayerStore.open(env.root)) {
      byte[] base =
          new RawLayer()
              .dir("usr/")
              .dir("usr/lib/")
              .file("usr/lib/libc", "c")
              .symlink("lib", "usr/lib")
              .end()
              .bytes();
      byte[] top = new RawLayer().dir("lib/").file("lib/x", "x").end().bytes();
      ImageId id =
          store
              .load(
                  new SaveArchive()
                      .layer(base)
                      .layer(top)
                      .write(
                          StoreEnv.inputs("edges")
                              .resolve("dir-over-lower-symlink-" + where + ".docker.tar")))
              .get(0);
      try (Mount m = store.mount(id)) {
        assertTrue(Files.isDirectory(m.root().resolve("lib"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(Set.of("x"), names(m.root().resolve("lib")));
        assertEquals(Set.of("libc"), names(m.root().resolve("usr/lib")));
      }
    }
  }

  @Test
  void anArchiveThatIsAFifoIsRefusedWithoutBlocking() throws Exception {
    PlatformRequirements.require(
        PlatformRequirements.executable("mkfifo") != null, "mkfifo (coreutils)");
    Path fifo = tmp.resolve("archive.tar");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertEquals(0, p.waitFor());
    try (LayerStore store = LayerStore.open(tmp.resolve("store"))) {
      InvalidArchiveException e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(20),
              () -> assertThrows(InvalidArchiveException.class, () -> store.load(fifo)));
      assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
      assertTrue(e.getMessage().contains(fifo.toString()), e.getMessage());
      assertFalse(store.images().iterator().hasNext());
    }
  }

  // ---- helpers

  static Set<String> names(Path dir) throws IOException {
    Set<String> out = new TreeSet<>();
    try (var ds = Files.newDirectoryStream(dir)) {
      ds.forEach(p -> out.add(p.getFileName().toString()));
    }
    return out;
  }

  /** The driver id of layer {@code index} (0 = base) of an image. */
  static String cacheId(LayerStore store, ImageId id, int index) throws IOException {
    ChainId chain = store.image(id.toString()).chainIds().get(index);
    Path f =
        store
            .root()
            .resolve("image")
            .resolve(store.driverName())
            .resolve("layerdb/sha256")
            .resolve(chain.digest().hex())
            .resolve("cache-id");
    return Files.readString(f).strip();
  }

  /** Saves the image to memory and returns its layer tars, base first. */
  static List<byte[]> savedLayers(LayerStore store, ImageId id) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.save(List.of(id.toString()), out);
    Map<String, byte[]> members = new java.util.HashMap<>();
    try (TarReader r =
        new TarReader(new java.io.ByteArrayInputStream(out.toByteArray()), "saved")) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        if (h.isRegular()) {
          try (InputStream in = r.content()) {
            members.put(h.name(), in.readAllBytes());
          }
        }
      }
    }
    String manifest = new String(members.get("manifest.json"), StandardCharsets.UTF_8);
    List<byte[]> layers = new ArrayList<>();
    var node =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(manifest).get(0).get("Layers");
    for (var l : node) {
      layers.add(members.get(l.asText()));
    }
    return layers;
  }

  static String sha256(String s) {
    return io.layerstore.Digest.of(s.getBytes(StandardCharsets.UTF_8)).hex();
  }
}

package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.DiffId;
import io.layerstore.Image;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.NotFoundException;
import io.layerstore.PlatformMode;
import io.layerstore.build.ImageSettings;
import io.layerstore.build.LayerSpec;
import io.layerstore.testkit.PlatformRequirements;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 through the API, on stores with a real driver: builds are reproducible across stores
 * whatever the sources' mtimes and owners, layers are cached by their inputs (an unchanged layer is
 * not tarred again, a changed file rebuilds only its own layer, a damaged cache entry is not
 * trusted), and bad inputs are refused by name with the store left exactly as it was.
 */
class BuildImageTest {

  @TempDir Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Path sources() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("app/lib/deep"));
    Files.writeString(src.resolve("app/run.sh"), "#!/bin/sh\necho built by layerstore\n");
    Files.writeString(src.resolve("app/lib/a.txt"), "a\n");
    Files.writeString(src.resolve("app/lib/deep/b.txt"), "b\n");
    Files.writeString(src.resolve("app/lib-z.txt"), "z\n");
    Files.createSymbolicLink(src.resolve("app/link"), Path.of("lib/a.txt"));
    Files.writeString(src.resolve("config.yml"), "mode: test\n");
    return src;
  }

  private static ImageId build(LayerStore store, Path src, String tag) throws IOException {
    return store
        .build()
        .addLayer(
            LayerSpec.builder()
                .name("config")
                .addFile(src.resolve("config.yml"), "/etc/app/config.yml")
                .build())
        .addLayer(
            LayerSpec.builder().name("app").addDirectory(src.resolve("app"), "/opt/app").build())
        .config(
            ImageSettings.builder()
                .entrypoint(List.of("/opt/app/run.sh"))
                .env("MODE", "test")
                .label("org.example", "yes")
                .exposePort("8080")
                .workdir("/opt/app")
                .build())
        .tag(tag);
  }

  private LayerStore open(String name) throws IOException {
    return LayerStore.builder(tmp.resolve(name)).platform(PlatformMode.EMULATED).open();
  }

  @Test
  void theSameInputsGiveTheSameImageInTwoStoresOfTwoDriversWhateverTheSourcesMtimesAndOwners()
      throws Exception {
    Path src = sources();
    ImageId first;
    try (LayerStore a = open("a")) {
      first = build(a, src, "app:1");
    }
    try (Stream<Path> all = Files.walk(src)) {
      for (Path p : all.toList()) {
        if (!Files.isSymbolicLink(p)) {
          Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2030-01-02T03:04:05Z")));
          if (PlatformRequirements.isLinuxRoot()) {
            Files.setAttribute(p, "unix:uid", 1234, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", 4321, LinkOption.NOFOLLOW_LINKS);
          }
        }
      }
    }
    // another store, another driver: the image is the inputs' alone
    try (LayerStore b =
        LayerStore.builder(tmp.resolve("b"))
            .platform(PlatformMode.EMULATED)
            .driver("aufs")
            .open()) {
      assertEquals(first, build(b, src, "app:1"));
      Image image = b.image("app:1");
      JsonNode config = JSON.readTree(image.config());
      assertEquals("1970-01-01T00:00:00Z", config.get("created").asText());
      assertEquals("[\"/opt/app/run.sh\"]", config.get("config").get("Entrypoint").toString());
      assertTrue(config.get("config").get("Cmd").isNull(), config.toString());
      assertEquals("{\"8080/tcp\":{}}", config.get("config").get("ExposedPorts").toString());
      assertEquals(2, config.get("history").size());
      assertEquals("app", config.get("history").get(1).get("comment").asText());

      List<TarArchiveEntry> entries = savedLayer(b, "app:1", 1);
      List<String> names = entries.stream().map(TarArchiveEntry::getName).toList();
      assertEquals(
          List.of(
              "opt/",
              "opt/app/",
              "opt/app/lib/",
              "opt/app/lib/a.txt",
              "opt/app/lib/deep/",
              "opt/app/lib/deep/b.txt",
              "opt/app/lib-z.txt",
              "opt/app/link",
              "opt/app/run.sh"),
          names,
          "sorted, parents before children, implicit parents added");
      for (TarArchiveEntry e : entries) {
        assertEquals(1, e.getModTime().toInstant().getEpochSecond(), e.getName());
        assertEquals(0, e.getLongUserId(), e.getName());
        assertEquals(0, e.getLongGroupId(), e.getName());
        assertEquals("", e.getUserName(), e.getName());
        assertEquals("", e.getGroupName(), e.getName());
        int perm = e.getMode() & 07777;
        assertEquals(e.isDirectory() ? 0755 : e.isSymbolicLink() ? 0777 : 0644, perm, e.getName());
        assertTrue(e.getExtraPaxHeaders().isEmpty(), e.getName());
      }
      assertEquals("lib/a.txt", entries.get(7).getLinkName());
    }
  }

  @Test
  void anUnchangedLayerIsNotTarredAgainAndAChangedFileRebuildsOnlyItsLayer() throws Exception {
    Path src = sources();
    try (LayerStore store = open("s")) {
      ImageId first = build(store, src, "app:1");
      List<DiffId> before = store.image(first.toString()).diffIds();

      // new content, same size and mtime: the cache (keyed by metadata) must not look at it
      Path config = src.resolve("config.yml");
      FileTime t = Files.getLastModifiedTime(config);
      Files.writeString(config, "mode: prod\n");
      Files.setLastModifiedTime(config, t);
      assertEquals(first, build(store, src, "app:2"), "unchanged inputs: the cached layers");

      // a change in the app layer rebuilds that layer; the config layer still comes from the cache
      Files.writeString(src.resolve("app/lib/a.txt"), "a, changed\n");
      ImageId second = build(store, src, "app:3");
      List<DiffId> after = store.image(second.toString()).diffIds();
      assertEquals(before.get(0), after.get(0), "the untouched layer was not tarred again");
      assertNotEquals(before.get(1), after.get(1));

      // with content hashes, the changed content is seen although the metadata is the same
      ImageId hashed =
          store
              .build()
              .addLayer(
                  LayerSpec.builder().hashContents().addFile(config, "/etc/app/config.yml").build())
              .build();
      assertTrue(
          savedText(store, hashed.toString(), 0).contains("mode: prod"), "hashed: the new bytes");
    }
  }

  @Test
  void aDamagedOrStaleCacheEntryIsRebuiltNeverTrusted() throws Exception {
    Path src = sources();
    try (LayerStore store = open("s")) {
      ImageId first = build(store, src, "app:1");
      Path config = src.resolve("config.yml");
      FileTime t = Files.getLastModifiedTime(config);
      Files.writeString(config, "mode: prod\n");
      Files.setLastModifiedTime(config, t);
      List<Path> entries;
      try (Stream<Path> s = Files.list(tmp.resolve("s/layerstore/build-cache/layers"))) {
        entries = s.toList();
      }
      assertEquals(2, entries.size(), "one cache entry per layer");
      for (Path e : entries) {
        String text = Files.readString(e);
        Files.writeString(
            e, text.replace("diffid sha256:", "diffid sha256:0").substring(0, text.length()));
      }
      ImageId rebuilt = build(store, src, "app:2");
      assertNotEquals(first, rebuilt, "damaged entries were ignored: the layer was tarred again");
      assertTrue(savedText(store, "app:2", 0).contains("mode: prod"));

      // an entry whose layer is gone from the store is rebuilt too
      store.remove("app:1", io.layerstore.RemoveOptions.defaults());
      store.remove("app:2", io.layerstore.RemoveOptions.defaults());
      assertEquals(rebuilt, build(store, src, "app:3"));

      // damaged entries of layers the store has: tarred again, found stored, and recorded anew
      for (Path e : entries) {
        Files.writeString(e, "garbage");
      }
      assertEquals(rebuilt, build(store, src, "app:3"));
      for (Path e : entries) {
        String text = Files.readString(e);
        int nl = text.indexOf('\n');
        assertEquals(
            text.substring(0, nl),
            io.layerstore.Digest.of(text.substring(nl + 1)).toString(),
            "a sound entry again: " + text);
      }
      assertTrue(store.check().problems().isEmpty(), store.check().problems().toString());
    }
  }

  private long count(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
    }
  }

  @Test
  void pruneDeletesWhatBuildsKeptForLayersThatAreGoneAndNothingElse() throws Exception {
    Path src = sources();
    Path other = Files.writeString(tmp.resolve("other.txt"), "another image\n");
    try (LayerStore store = open("s")) {
      build(store, src, "app:1");
      store
          .build()
          .addLayer(LayerSpec.builder().addFile(other, "/other.txt").build())
          .tag("other:1");
      Path cache = tmp.resolve("s/layerstore/build-cache");
      assertEquals(3, count(cache.resolve("layers")), "an entry per layer");
      assertEquals(3, count(cache.resolve("blobs/by-diffid")), "a kept blob per layer");
      assertEquals(3, count(cache.resolve("blobs/sha256")));

      store.prune(io.layerstore.PruneOptions.defaults());
      assertEquals(3, count(cache.resolve("blobs/sha256")), "every layer is in use: all kept");

      store.remove("app:1", io.layerstore.RemoveOptions.defaults());
      store.prune(io.layerstore.PruneOptions.defaults());
      assertEquals(1, count(cache.resolve("layers")), "only the other image's entry is left");
      assertEquals(1, count(cache.resolve("blobs/by-diffid")));
      assertEquals(1, count(cache.resolve("blobs/sha256")));
      assertTrue(store.check().isClean(), store.check().problems().toString());

      // the other image's kept blob is still what a push would send; app builds again from scratch
      ImageId again = build(store, src, "app:1");
      assertEquals(3, count(cache.resolve("blobs/sha256")));
      assertTrue(savedText(store, again.toString(), 0).contains("mode: test"));
    }
  }

  @Test
  void badInputsAreRefusedByNameAndLeaveTheStoreAsItWas() throws Exception {
    Path src = sources();
    try (LayerStore store = open("s")) {
      build(store, src, "app:1");
      Map<String, String> before = listing(tmp.resolve("s"));

      Path missing = src.resolve("no-such-file");
      NotFoundException nf =
          assertThrows(
              NotFoundException.class,
              () ->
                  store
                      .build()
                      .addLayer(LayerSpec.builder().addFile(missing, "/x").build())
                      .tag("bad:1"));
      assertTrue(nf.getMessage().contains(missing.toString()), nf.getMessage());

      IllegalArgumentException dots =
          assertThrows(
              IllegalArgumentException.class,
              () -> LayerSpec.builder().addFile(src.resolve("config.yml"), "/etc/../../x"));
      assertTrue(dots.getMessage().contains("/etc/../../x"), dots.getMessage());

      Path loop = src.resolve("loop");
      Files.createSymbolicLink(loop, loop.getFileName());
      InvalidArchiveException l =
          assertThrows(
              InvalidArchiveException.class,
              () ->
                  store
                      .build()
                      .addLayer(LayerSpec.builder().addDirectory(loop, "/x").build())
                      .tag("bad:1"));
      assertTrue(
          l.getMessage().contains(loop.toString()) && l.getMessage().contains("loop"),
          l.getMessage());

      Path tree = Files.createDirectories(tmp.resolve("tree/sub"));
      Files.createSymbolicLink(tree.resolve("up"), Path.of(".."));
      InvalidArchiveException l2 =
          assertThrows(
              InvalidArchiveException.class,
              () ->
                  store
                      .build()
                      .addLayer(
                          LayerSpec.builder()
                              .followSymlinks()
                              .addDirectory(tmp.resolve("tree"), "/t")
                              .build())
                      .tag("bad:1"));
      assertTrue(l2.getMessage().contains(tree.resolve("up").toString()), l2.getMessage());

      Path sock = tmp.resolve("sock-dir/app.sock");
      Files.createDirectories(sock.getParent());
      try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.bind(UnixDomainSocketAddress.of(sock));
        InvalidArchiveException s =
            assertThrows(
                InvalidArchiveException.class,
                () ->
                    store
                        .build()
                        .addLayer(
                            LayerSpec.builder().addDirectory(sock.getParent(), "/run").build())
                        .tag("bad:1"));
        assertTrue(
            s.getMessage().contains(sock.toString()) && s.getMessage().contains("socket"),
            s.getMessage());
      }
      if (PlatformRequirements.isLinuxRoot()) {
        Path dev = tmp.resolve("null-device");
        Shell.output(List.of("mknod", dev.toString(), "c", "1", "3"));
        InvalidArchiveException d =
            assertThrows(
                InvalidArchiveException.class,
                () ->
                    store
                        .build()
                        .addLayer(LayerSpec.builder().addFile(dev, "/dev/null").build())
                        .tag("bad:1"));
        assertTrue(
            d.getMessage().contains(dev.toString()) && d.getMessage().contains("device"),
            d.getMessage());
      }
      assertEquals(before, listing(tmp.resolve("s")), "the store is exactly as it was");
      assertThrows(NotFoundException.class, () -> store.resolve("bad:1"));
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Every path under {@code root} with its type, mode, size and content hash (no times). */
  static Map<String, String> listing(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        BasicFileAttributes a =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String facts =
            a.isDirectory()
                ? "d"
                : a.isSymbolicLink()
                    ? "l " + Files.readSymbolicLink(p)
                    : "f " + a.size() + " " + sha256(p);
        out.put(
            root.relativize(p).toString(),
            facts + " " + Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS));
      }
    }
    return out;
  }

  private static String sha256(Path p) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The tar members of layer {@code index} of the saved image. */
  private static List<TarArchiveEntry> savedLayer(LayerStore store, String ref, int index)
      throws IOException {
    List<TarArchiveEntry> out = new ArrayList<>();
    try (TarArchiveInputStream in = layerStream(store, ref, index)) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        out.add(e);
      }
    }
    return out;
  }

  /** The contents of the regular files of layer {@code index}, concatenated. */
  private static String savedText(LayerStore store, String ref, int index) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (TarArchiveInputStream in = layerStream(store, ref, index)) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        if (e.isFile()) {
          sb.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
    return sb.toString();
  }

  private static TarArchiveInputStream layerStream(LayerStore store, String ref, int index)
      throws IOException {
    ByteArrayOutputStream saved = new ByteArrayOutputStream();
    store.save(List.of(ref), saved);
    byte[] archive = saved.toByteArray();
    JsonNode manifest = null;
    Map<String, byte[]> members = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new java.io.ByteArrayInputStream(archive))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        if (e.isFile()) {
          members.put(e.getName(), in.readAllBytes());
        }
      }
    }
    manifest = JSON.readTree(members.get("manifest.json"));
    String layer = manifest.get(0).get("Layers").get(index).asText();
    InputStream bytes = new java.io.ByteArrayInputStream(members.get(layer));
    return new TarArchiveInputStream(bytes);
  }
}

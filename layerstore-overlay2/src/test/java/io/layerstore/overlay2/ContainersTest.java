package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.ConflictException;
import io.layerstore.Image;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.RemoveOptions;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.Container;
import io.layerstore.container.Containers;
import io.layerstore.container.CreateOptions;
import io.layerstore.container.FileChange;
import io.layerstore.container.InitFiles;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import io.layerstore.store.LayerTrees;
import io.layerstore.testkit.ContainerSteps;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.LayerOps;
import io.layerstore.testkit.TarListing;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Containers on the overlay2 driver, on jimfs (in-process union, emulated metadata) and on disk
 * (kernel mounts and native metadata where the machine allows, else the same as jimfs): creation
 * and the init layer, names, writes and their changes, commit, export, removal, the image a
 * container uses, and recovery from interrupted operations. The Docker daemon comparisons are in
 * the CLI module's {@code ContainerOracleTest}.
 */
class ContainersTest {

  @TempDir Path tmp;
  private FileSystem jimfs;
  private final ObjectMapper json = new ObjectMapper();

  @AfterEach
  void closeJimfs() throws IOException {
    if (jimfs != null) {
      jimfs.close();
    }
  }

  private Path root(String where) throws IOException {
    if (where.equals("jimfs")) {
      jimfs =
          Jimfs.newFileSystem(
              Configuration.unix().toBuilder()
                  .setAttributeViews("basic", "owner", "posix", "unix", "user")
                  .build());
      return jimfs.getPath("/store");
    }
    return tmp.resolve("store");
  }

  private LayerStore openFx(Path root) throws IOException {
    LayerStore store = LayerStore.open(root);
    if (store.images().isEmpty()) {
      Path archive = Fixtures.fxMultiArchive();
      if (root.getFileSystem() != archive.getFileSystem()) {
        Path copy = root.getFileSystem().getPath("/fx-multi.tar");
        if (!Files.exists(copy)) {
          Files.copy(archive, copy);
        }
        archive = copy;
      }
      store.load(archive);
    }
    return store;
  }

  private static List<String> lines(List<FileChange> changes) {
    List<String> out = new ArrayList<>();
    changes.forEach(c -> out.add(c.toString()));
    return out;
  }

  private static String driverDir(LayerStore store, String id) {
    return store.driver().home().resolve(id).toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void createNamesAndFinds(String where) throws IOException {
    try (LayerStore store = openFx(root(where))) {
      Containers cs = store.containers();
      Container a = cs.create("fx:multi", CreateOptions.defaults().name("alpha"));
      Container b = cs.create(Fixtures.FX_MULTI_ID, CreateOptions.defaults());
      assertTrue(b.name().matches("[a-z]+_[a-z]+[0-9]*"), b.name());
      assertEquals("fx:multi", a.imageReference());
      assertEquals(ImageId.parse(Fixtures.FX_MULTI_ID), a.image());
      assertEquals(List.of("/bin/sh"), a.command());
      assertEquals(a, cs.get("alpha"));
      assertEquals(a, cs.get("/alpha"));
      assertEquals(a, cs.get(a.id().hex()));
      assertEquals(a, cs.get(a.id().shortId()));
      assertEquals(List.of(b, a), cs.list());
      ConflictException dup =
          assertThrows(
              ConflictException.class,
              () -> cs.create("fx:multi", CreateOptions.defaults().name("alpha")));
      assertTrue(dup.getMessage().contains("\"/alpha\" is already in use"), dup.getMessage());
      assertThrows(IllegalArgumentException.class, () -> CreateOptions.defaults().name("bad/name"));
      assertThrows(NotFoundException.class, () -> cs.get("nope"));
      assertThrows(NotFoundException.class, () -> cs.create("no:such", CreateOptions.defaults()));
      assertEquals(2, cs.list().size(), "a failed create leaves nothing");
      assertEquals(a.mountId() + "-init", a.initId());
      assertTrue(store.driver().exists(a.initId()));
      assertEquals(List.of(a.initId()), store.driver().parents(a.mountId()).subList(0, 1));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void theInitLayerHoldsWhatDockerPutsThere(String where) throws IOException {
    try (LayerStore store = openFx(root(where))) {
      Container c = store.containers().create("fx:multi", CreateOptions.defaults());
      Tree init = LayerOps.tree(store, c.initId());
      // docs/overlay2-layout.md §7: the init layer of a container of fx:multi as Docker 20.10 left
      // it
      List<String> expected =
          List.of(
              ".dockerenv REGULAR 0755 0:0 0",
              "dev DIRECTORY 0755 0:0",
              "dev/console REGULAR 0755 0:0 0",
              "dev/pts DIRECTORY 0755 0:0",
              "dev/shm DIRECTORY 0755 0:0",
              "etc DIRECTORY 0755 0:0",
              "etc/hostname REGULAR 0755 0:0 0",
              "etc/hosts REGULAR 0755 0:0 0",
              "etc/mtab SYMLINK 0777 0:0 -> /proc/mounts",
              "etc/resolv.conf REGULAR 0755 0:0 0",
              "proc DIRECTORY 0755 0:0",
              "sys DIRECTORY 0755 0:0");
      assertEquals(String.join("\n", expected), String.join("\n", raw(init)));
      try (Stream<Path> rw = Files.list(store.driver().diff(c.mountId()).dir())) {
        assertEquals(0, rw.count(), "the read-write layer starts empty");
      }
      assertEquals(List.of(), store.containers().changes(c.name()));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void initFilesCanHoldContentOrBeLeftOut(String where) throws IOException {
    try (LayerStore store = openFx(root(where))) {
      Container c =
          store
              .containers()
              .create(
                  "fx:multi",
                  CreateOptions.defaults()
                      .init(
                          InitFiles.docker()
                              .hostname("box")
                              .addHost("db", "10.0.0.2")
                              .resolvConf("nameserver 10.0.0.1\n")));
      Tree init = LayerOps.tree(store, c.initId());
      Path etc = init.root().resolve("etc");
      assertEquals("box\n", Files.readString(etc.resolve("hostname")));
      assertEquals("nameserver 10.0.0.1\n", Files.readString(etc.resolve("resolv.conf")));
      String hosts = Files.readString(etc.resolve("hosts"));
      assertTrue(
          hosts.startsWith("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
          hosts);
      assertTrue(hosts.endsWith("ff02::2\tip6-allrouters\n10.0.0.2\tdb\n"), hosts);
      assertEquals(0644, init.stat(etc.resolve("hosts")).mode());
      assertEquals(0755, init.stat(init.root().resolve(".dockerenv")).mode());
      try (Mount m = store.containers().mount(c.name())) {
        assertEquals("box\n", Files.readString(m.root().resolve("etc/hostname")));
      }
      ImageId committed = store.containers().commit(c.name(), CommitOptions.defaults());
      try (Mount m = store.mount(committed)) {
        assertFalse(
            Files.exists(m.root().resolve("etc/hostname"), LinkOption.NOFOLLOW_LINKS),
            "init files never reach a committed image");
      }

      Container bare =
          store.containers().create("fx:multi", CreateOptions.defaults().init(InitFiles.none()));
      assertNull(bare.initId());
      assertFalse(store.driver().exists(bare.mountId() + "-init"));
      assertEquals(
          store.image("fx:multi").chainIds().size(), store.driver().parents(bare.mountId()).size());
      Path mounts = store.root().resolve("image/overlay2/layerdb/mounts").resolve(bare.id().hex());
      assertFalse(Files.exists(mounts.resolve("init-id")));
      assertEquals(bare.mountId(), Files.readString(mounts.resolve("mount-id")));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void writesChangesCommitAndTheNewImage(String where) throws IOException {
    try (LayerStore store = openFx(root(where))) {
      Containers cs = store.containers();
      Container c = cs.create("fx:multi", CreateOptions.defaults().name("work"));
      try (Mount m = cs.mount("work")) {
        assertTrue(m.isWritable());
        assertTrue(cs.isMounted("work"));
        ContainerSteps.run(m.root());
      }
      assertFalse(cs.isMounted("work"));
      List<String> changes = lines(cs.changes("work"));
      assertTrue(
          changes.containsAll(
              List.of(
                  "A /newfile",
                  "C /etc/conf.d/b.conf",
                  "D /etc/os-release",
                  "C /bin/busybox",
                  "A /usr/share/x",
                  "D /usr/share/doc",
                  "C /usr/share",
                  "C /usr")),
          changes.toString());

      ImageId id =
          cs.commit(
              "work",
              CommitOptions.defaults()
                  .reference("fx:work")
                  .author("me")
                  .message("msg")
                  .env("FOO", "bar")
                  .env("APP", "changed")
                  .label("k", "v")
                  .change("CMD [\"/bin/echo\", \"hi\"]"));
      Image img = store.image("fx:work");
      assertEquals(id, img.id());
      assertEquals(ImageId.parse(Fixtures.FX_MULTI_ID), img.parent());
      assertEquals(6, img.diffIds().size());
      JsonNode config = json.readTree(img.config());
      assertEquals("me", config.get("author").asText());
      assertEquals(c.id().hex(), config.get("container").asText());
      assertEquals(
          "[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"APP=changed\",\"FOO=bar\"]",
          config.at("/config/Env").toString());
      assertEquals("[\"/bin/echo\",\"hi\"]", config.at("/config/Cmd").toString());
      assertEquals("v", config.at("/config/Labels/k").asText());
      assertEquals("layerstore", config.at("/config/Labels/org.example.fixture").asText());
      assertEquals("[\"/bin/sh\"]", config.at("/container_config/Cmd").toString());
      JsonNode last = config.get("history").get(config.get("history").size() - 1);
      assertEquals(
          "{\"created\":"
              + json.writeValueAsString(last.get("created").asText())
              + ",\"author\":\"me\",\"created_by\":\"/bin/sh\",\"comment\":\"msg\"}",
          last.toString());
      assertTrue(img.lastTagTime() != null);

      try (Mount m = store.mount(id)) {
        Path r = m.root();
        assertEquals("new\n", Files.readString(r.resolve("newfile")));
        assertEquals("changed2\n", Files.readString(r.resolve("etc/conf.d/b.conf")));
        assertFalse(Files.exists(r.resolve("etc/os-release"), LinkOption.NOFOLLOW_LINKS));
        try (Stream<Path> share = Files.list(r.resolve("usr/share"))) {
          assertEquals(List.of("x"), share.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals(
            "rwx------",
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(
                    r.resolve("bin/busybox"), LinkOption.NOFOLLOW_LINKS)));
        assertFalse(Files.exists(r.resolve(".dockerenv"), LinkOption.NOFOLLOW_LINKS));
      }

      // the new layer holds the read-write layer alone
      ByteArrayOutputStream save = new ByteArrayOutputStream();
      store.save(List.of("fx:work"), save);
      List<String> layer = lastLayer(save.toByteArray());
      List<String> names = new ArrayList<>();
      layer.forEach(l -> names.add(l.substring(0, l.indexOf(' '))));
      assertEquals(
          List.of(
              "bin/",
              "bin/busybox",
              "etc/",
              "etc/conf.d/",
              "etc/conf.d/b.conf",
              "etc/.wh.os-release",
              "newfile",
              "usr/",
              "usr/share/",
              "usr/share/.wh..wh..opq",
              "usr/share/x"),
          names);

      // a second container on the committed image
      Container again = cs.create("fx:work", CreateOptions.defaults());
      assertEquals(List.of(), cs.changes(again.name()));
      ConflictException used =
          assertThrows(
              ConflictException.class,
              () -> store.remove("fx:work", RemoveOptions.defaults().force()));
      assertTrue(
          used.getMessage().contains("being used by container " + again.id().shortId()),
          used.getMessage());
      cs.remove(again.name(), RemoveOptions.defaults());
      assertEquals(List.of(id), store.remove("fx:work", RemoveOptions.defaults()).deleted());
    }
  }

  /** The lines of the last layer tar of a {@code docker save} archive. */
  static List<String> lastLayer(byte[] archive) throws IOException {
    java.util.Map<String, byte[]> files = new java.util.HashMap<>();
    try (io.layerstore.archive.TarReader r =
        new io.layerstore.archive.TarReader(new ByteArrayInputStream(archive), "save")) {
      for (io.layerstore.archive.TarHeader h = r.next(); h != null; h = r.next()) {
        if (h.isRegular()) {
          files.put(h.name(), r.content().readAllBytes());
        }
      }
    }
    JsonNode manifest = new ObjectMapper().readTree(files.get("manifest.json")).get(0);
    JsonNode layers = manifest.get("Layers");
    byte[] tar = files.get(layers.get(layers.size() - 1).asText());
    return TarListing.of(new ByteArrayInputStream(tar), false, x -> true);
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void aCommitOfNothingAddsNoLayer(String where) throws IOException {
    try (LayerStore store = openFx(root(where))) {
      Container c = store.containers().create("fx:multi", CreateOptions.defaults());
      ImageId id = store.containers().commit(c.name(), CommitOptions.defaults());
      Image img = store.image(id.toString());
      assertEquals(store.image("fx:multi").diffIds(), img.diffIds());
      JsonNode history = json.readTree(img.config()).get("history");
      assertTrue(history.get(history.size() - 1).get("empty_layer").asBoolean());
      assertNull(img.lastTagTime());
      assertTrue(store.images().stream().anyMatch(s -> s.id().equals(id)));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void aCommitThatFailsLeavesTheStoreAsItWas(String where) throws IOException {
    try (LayerStore store = openFx(root(where))) {
      Container c = store.containers().create("fx:multi", CreateOptions.defaults());
      Tree rw = LayerOps.tree(store, c.mountId());
      // what a container's mknod would leave; the store's device policy refuses it in a layer
      rw.makeNode(
          rw.root().resolve("odd-device"),
          io.layerstore.platform.NodeKind.CHAR_DEVICE,
          0600,
          240,
          7);
      List<String> dirs = store.driver().list();
      int images = store.images().size();
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  store
                      .containers()
                      .commit(c.name(), CommitOptions.defaults().reference("never:made")));
      assertTrue(e.getMessage().contains("odd-device"), e.getMessage());
      assertEquals(images, store.images().size());
      assertEquals(new java.util.TreeSet<>(dirs), new java.util.TreeSet<>(store.driver().list()));
      try (Stream<Path> sets = Files.list(store.root().resolve("image/overlay2/layerdb/tmp"))) {
        assertEquals(0, sets.count(), "no write-set left");
      }
      assertThrows(NotFoundException.class, () -> store.resolve("never:made"));
      rw.delete(rw.root().resolve("odd-device"));
      store.containers().commit(c.name(), CommitOptions.defaults().reference("made:now"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void exportIsTheWholeFileSystem(String where) throws IOException {
    try (LayerStore store = openFx(root(where))) {
      Container c = store.containers().create("fx:multi", CreateOptions.defaults());
      try (Mount m = store.containers().mount(c.name())) {
        ContainerSteps.run(m.root());
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      store.containers().export(c.name(), out);
      List<String> tar =
          TarListing.of(new ByteArrayInputStream(out.toByteArray()), false, x -> true);
      List<String> names = new ArrayList<>();
      tar.forEach(l -> names.add(l.substring(0, l.indexOf(' '))));
      assertTrue(
          names.containsAll(
              List.of(
                  ".dockerenv",
                  "etc/hosts",
                  "etc/mtab",
                  "newfile",
                  "usr/share/x",
                  "dev/console",
                  "bin/busybox",
                  "opt/app/copied.txt")),
          names.toString());
      assertFalse(names.contains("etc/os-release"));
      assertFalse(names.stream().anyMatch(n -> n.contains(".wh.")), names.toString());
      assertEquals(
          names.stream().sorted((x, y) -> compareBytes(x, y)).toList(), names, "lexical order");
      String busybox =
          tar.stream().filter(l -> l.startsWith("bin/busybox ")).findFirst().orElseThrow();
      assertTrue(busybox.startsWith("bin/busybox 0 0100700 0:0 1982256 "), busybox);
      String hardlink = tar.stream().filter(l -> l.startsWith("etc/conf.d/a")).toList().toString();
      assertTrue(
          hardlink.contains("0100600") && hardlink.contains("a-hardlink.conf 0 0100644"), hardlink);
    }
  }

  private static int compareBytes(String a, String b) {
    String x = a.endsWith("/") ? a.substring(0, a.length() - 1) : a;
    String y = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    // a walk visits a directory's children right after it: compare path by path
    String[] px = x.split("/");
    String[] py = y.split("/");
    for (int i = 0; i < Math.min(px.length, py.length); i++) {
      int c =
          java.util.Arrays.compareUnsigned(
              px[i].getBytes(StandardCharsets.UTF_8), py[i].getBytes(StandardCharsets.UTF_8));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(px.length, py.length);
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void removeTakesBothLayersAndFreesTheImage(String where) throws IOException {
    try (LayerStore store = openFx(root(where))) {
      Containers cs = store.containers();
      Container c = cs.create("fx:multi", CreateOptions.defaults().name("gone"));
      ConflictException used =
          assertThrows(
              ConflictException.class,
              () -> store.remove("fx:multi", RemoveOptions.defaults().force()));
      assertTrue(
          used.getMessage().contains("image is being used by container " + c.id().shortId()),
          used.getMessage());
      Mount m = cs.mount("gone");
      ConflictException mounted =
          assertThrows(ConflictException.class, () -> cs.remove("gone", RemoveOptions.defaults()));
      assertTrue(mounted.getMessage().contains("mounted"), mounted.getMessage());
      assertEquals(c, cs.remove("gone", RemoveOptions.defaults().force()));
      m.close();
      assertFalse(
          Files.exists(store.driver().home().resolve(c.mountId())), driverDir(store, c.mountId()));
      assertFalse(Files.exists(store.driver().home().resolve(c.initId())));
      assertFalse(
          Files.exists(
              store.root().resolve("image/overlay2/layerdb/mounts").resolve(c.id().hex())));
      assertEquals(List.of(), cs.list());
      assertThrows(NotFoundException.class, () -> cs.get("gone"));
      Container again = cs.create("fx:multi", CreateOptions.defaults().name("gone"));
      assertNotEquals(c.id(), again.id());
      cs.remove("gone", RemoveOptions.defaults());
      assertEquals(1, store.remove("fx:multi", RemoveOptions.defaults()).deleted().size());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void interruptedOperationsAreFinishedLater(String where) throws IOException {
    Path root = root(where);
    Container crashed;
    Container live;
    try (LayerStore store = openFx(root)) {
      crashed = store.containers().create("fx:multi", CreateOptions.defaults().name("crashed"));
      live = store.containers().create("fx:multi", CreateOptions.defaults().name("live"));
      // the record's place, as docs (ContainerLayout) give it: layerstore/containers/<id>.json
      Path record = store.root().resolve("layerstore/containers/" + crashed.id().hex() + ".json");
      Files.writeString(
          record,
          Files.readString(record).replace("\"state\":\"created\"", "\"state\":\"creating\""));
      Files.delete(
          store
              .root()
              .resolve("image/overlay2/layerdb/mounts")
              .resolve(live.id().hex())
              .resolve("parent"));
      Files.delete(
          store
              .root()
              .resolve("image/overlay2/layerdb/mounts")
              .resolve(live.id().hex())
              .resolve("init-id"));
      Files.delete(
          store
              .root()
              .resolve("image/overlay2/layerdb/mounts")
              .resolve(live.id().hex())
              .resolve("mount-id"));
      Files.delete(store.root().resolve("image/overlay2/layerdb/mounts").resolve(live.id().hex()));
    }
    try (LayerStore store = LayerStore.open(root)) {
      Containers cs = store.containers();
      assertEquals(List.of(live), cs.list(), "a creating record is not a container");
      cs.create("fx:multi", CreateOptions.defaults().name("crashed"));
      assertFalse(store.driver().exists(crashed.mountId()));
      assertFalse(store.driver().exists(crashed.initId()));
      Path mounts = store.root().resolve("image/overlay2/layerdb/mounts").resolve(live.id().hex());
      assertEquals(live.mountId(), Files.readString(mounts.resolve("mount-id")));
      assertEquals(live.initId(), Files.readString(mounts.resolve("init-id")));
      assertEquals(
          store.image("fx:multi").chainIds().get(4).toString(),
          Files.readString(mounts.resolve("parent")));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jimfs", "disk"})
  void theWorkingDirIsMadeInsideTheContainer(String where) throws IOException {
    Path root = root(where);
    ImageArchiveBuilder b = new ImageArchiveBuilder();
    b.layer()
        .dir("etc", 0755)
        .file("etc/hosts", "image hosts\n", 0644)
        .symlink("dev", "/nowhere")
        .symlink("app", "/srv")
        .dir("srv", 0700)
        .dir("proc", 0555);
    Path archive = root.resolveSibling("wd.tar");
    b.tag("wd:base").write(archive);
    try (LayerStore store = LayerStore.open(root)) {
      store.load(archive);
      Container base = store.containers().create("wd:base", CreateOptions.defaults());
      Tree init = LayerOps.tree(store, base.initId());
      List<String> raw = raw(init);
      assertTrue(
          raw.contains("dev DIRECTORY 0755 0:0") && raw.contains("dev/pts DIRECTORY 0755 0:0"),
          raw.toString());
      assertTrue(
          raw.contains("etc/hosts REGULAR 0755 0:0 0"), "the image's file is replaced: " + raw);
      assertFalse(
          raw.stream().anyMatch(l -> l.startsWith("proc ")), "the image's /proc is kept: " + raw);
      assertTrue(
          LayerTrees.whiteouts(store.driver()).isOpaque(init, init.root().resolve("dev")),
          "a directory made where a symlink was deleted is opaque");
      ImageId wd =
          store
              .containers()
              .commit(
                  base.name(),
                  CommitOptions.defaults().reference("wd:dir").change("WORKDIR /app/work/deep"));
      Container c = store.containers().create("wd:dir", CreateOptions.defaults());
      List<String> changes = lines(store.containers().changes(c.name()));
      assertEquals(List.of("C /srv", "A /srv/work", "A /srv/work/deep"), changes);
      try (Mount m = store.containers().mount(c.name())) {
        assertTrue(Files.isDirectory(m.root().resolve("srv/work/deep")));
      }
      assertEquals(
          "/app/work/deep",
          json.readTree(store.image(wd.toString()).config()).at("/config/WorkingDir").asText());
    }
  }

  /** The nodes of a tree as "path KIND mode uid:gid [size|-> target]" lines, sorted. */
  static List<String> raw(Tree tree) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(tree.root())) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(tree.root())) {
          continue;
        }
        NodeStat st = tree.stat(p);
        StringBuilder sb =
            new StringBuilder(tree.root().relativize(p).toString())
                .append(' ')
                .append(st.kind())
                .append(String.format(" %04o %d:%d", st.mode(), st.uid(), st.gid()));
        if (st.isRegular()) {
          sb.append(' ').append(st.size());
        } else if (st.isSymlink()) {
          sb.append(" -> ").append(Files.readSymbolicLink(p));
        }
        out.add(sb.toString());
      }
    }
    out.sort(null);
    return out;
  }
}

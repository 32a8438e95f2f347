package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PlatformMode;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.Container;
import io.layerstore.container.CreateOptions;
import io.layerstore.container.FileChange;
import io.layerstore.testkit.ContainerSteps;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.TarListing;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Containers checked against a real Docker daemon (a private dockerd, started once for the class):
 * the same steps done by {@code docker run} in Docker and through our mounts — the kernel's overlay
 * on disk, the in-process union on jimfs — must give what {@code docker diff} prints, a committed
 * layer with the entries {@code docker commit} makes, and an image Docker loads and runs with the
 * changes; a new container must leave the layout {@code docker create} leaves, and export what
 * {@code docker export} writes. Docker's output is the oracle throughout; nothing expected is
 * written by hand.
 *
 * <p>Needs root, the kernel's overlayfs and Debian's {@code docker.io}; skipped elsewhere, failing
 * instead under {@code -Dlayerstore.requirePlatform=true}.
 */
class ContainerOracleTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Init-layer paths, which must never reach a committed layer. */
  private static final List<String> INIT_PATHS =
      List.of(
          ".dockerenv",
          "dev/",
          "dev/console",
          "dev/pts/",
          "dev/shm/",
          "etc/hostname",
          "etc/hosts",
          "etc/mtab",
          "etc/resolv.conf",
          "proc/",
          "sys/");

  private static Path work;
  private static PrivateDocker docker;
  private static List<String> dockerDiff;
  private static List<String> dockerLayer;
  private static String dockerRun;
  private static List<String> dockerExport;
  private static String dockerCreated;
  private static JsonNode dockerConfig;

  @BeforeAll
  static void oracle() throws Exception {
    PlatformRequirements.require(
        PlatformRequirements.isLinuxRoot() && PrivateDocker.available(),
        "root and Debian's docker.io (a private dockerd)");
    PlatformRequirements.requireKernelOverlay();
    work = Files.createTempDirectory("layerstore-container-oracle");
    docker = PrivateDocker.start(work.resolve("docker"));
    check(docker.docker("load", "-i", Fixtures.fxMultiArchive().toString()), "docker load");
    check(
        docker.docker(
            "run",
            "--network",
            "none",
            "--name",
            "steps",
            "fx:multi",
            "/bin/sh",
            "-c",
            ContainerSteps.SHELL),
        "docker run");
    dockerDiff = sorted(check(docker.docker("diff", "steps"), "docker diff").lines().toList());
    check(
        docker.docker(
            "commit",
            "-a",
            "me",
            "-m",
            "msg",
            "-c",
            "ENV FOO=bar",
            "-c",
            "LABEL k=v",
            "steps",
            "oracle:committed"),
        "docker commit");
    Path saved = work.resolve("oracle.tar");
    check(docker.docker("save", "-o", saved.toString(), "oracle:committed"), "docker save");
    dockerLayer = lastLayer(Files.readAllBytes(saved));
    dockerConfig = config(Files.readAllBytes(saved));
    dockerRun =
        check(
            docker.docker(
                "run",
                "--rm",
                "--network",
                "none",
                "oracle:committed",
                "/bin/sh",
                "-c",
                ContainerSteps.CHECK),
            "docker run on the committed image");
    dockerCreated = check(docker.docker("create", "fx:multi"), "docker create").strip();
    Path exported = work.resolve("oracle-export.tar");
    check(docker.docker("export", "-o", exported.toString(), dockerCreated), "docker export");
    try (InputStream in = Files.newInputStream(exported)) {
      dockerExport = TarListing.of(in, false, x -> x.equals("security.capability"));
    }
  }

  @AfterAll
  static void stop() throws IOException {
    if (docker != null) {
      docker.close();
    }
    if (work != null) {
      Shell.run(List.of("rm", "-rf", work.toString()));
    }
  }

  @Test
  void throughTheKernelMountAsDockerDoes() throws Exception {
    try (LayerStore store = LayerStore.open(work.resolve("kernel"))) {
      store.load(Fixtures.fxMultiArchive());
      assertSameAsDocker(store, "ours:kernel", true);
    }
  }

  @Test
  void throughTheInProcessMountOnJimfsAsDockerDoes() throws Exception {
    try (FileSystem fs =
        Jimfs.newFileSystem(
            Configuration.unix().toBuilder()
                .setAttributeViews("basic", "owner", "posix", "unix", "user")
                .build())) {
      Path archive = fs.getPath("/fx-multi.tar");
      Files.copy(Fixtures.fxMultiArchive(), archive);
      try (LayerStore store = LayerStore.open(fs.getPath("/store"))) {
        assertEquals(PlatformMode.EMULATED, store.platform());
        store.load(archive);
        assertSameAsDocker(store, "ours:jimfs", false);
      }
    }
  }

  private void assertSameAsDocker(LayerStore store, String tag, boolean kernel) throws Exception {
    Container c = store.containers().create("fx:multi", CreateOptions.defaults());
    try (Mount m = store.containers().mount(c.name())) {
      assertEquals(kernel, m.isKernelMount());
      ContainerSteps.run(m.root());
    }
    List<String> ours = new ArrayList<>();
    for (FileChange ch : store.containers().changes(c.name())) {
      ours.add(ch.toString());
    }
    assertEquals(String.join("\n", dockerDiff), String.join("\n", sorted(ours)), "docker diff");

    ImageId id =
        store
            .containers()
            .commit(
                c.name(),
                CommitOptions.defaults()
                    .reference(tag)
                    .author("me")
                    .message("msg")
                    .change("ENV FOO=bar")
                    .change("LABEL k=v"));
    Path saved = work.resolve(tag.replace(':', '-') + ".tar");
    try (OutputStream out = Files.newOutputStream(saved)) {
      store.save(List.of(tag), out);
    }
    assertSameConfigShape(config(Files.readAllBytes(saved)), c);
    List<String> layer = lastLayer(Files.readAllBytes(saved));
    assertEquals(String.join("\n", dockerLayer), String.join("\n", layer), "the committed layer");
    for (String line : layer) {
      String name = line.substring(0, line.indexOf(' '));
      assertFalse(INIT_PATHS.contains(name), "init file in the committed layer: " + line);
    }

    try (Mount m = store.mount(id)) {
      Path r = m.root();
      assertEquals("new\n", Files.readString(r.resolve("newfile")));
      assertEquals("changed2\n", Files.readString(r.resolve("etc/conf.d/b.conf")));
      assertFalse(Files.exists(r.resolve("etc/os-release"), LinkOption.NOFOLLOW_LINKS));
      try (Stream<Path> share = Files.list(r.resolve("usr/share"))) {
        assertEquals(List.of("x"), share.map(p -> p.getFileName().toString()).toList());
      }
      assertEquals(
          0700,
          ((Integer)
                  Files.getAttribute(
                      r.resolve("bin/busybox"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
              & 07777);
    }

    check(docker.docker("load", "-i", saved.toString()), "docker load of our image");
    String run =
        check(
            docker.docker(
                "run", "--rm", "--network", "none", tag, "/bin/sh", "-c", ContainerSteps.CHECK),
            "docker run on our image");
    assertEquals(dockerRun, run, "docker run sees the changes as in Docker's own commit");
    assertTrue(run.contains("os-release gone") && run.startsWith("new\nchanged2\nx\n"), run);
  }

  /**
   * The committed config has Docker's shape: the same keys (but {@code docker_version}: we are not
   * Docker), the base's history re-marshalled alike, the same new history entry but its {@code
   * created_by} (Docker's container ran a command, ours did not), the changes applied alike.
   */
  private static void assertSameConfigShape(JsonNode ours, Container c) {
    List<String> theirKeys = new ArrayList<>();
    dockerConfig.fieldNames().forEachRemaining(theirKeys::add);
    theirKeys.remove("docker_version");
    List<String> ourKeys = new ArrayList<>();
    ours.fieldNames().forEachRemaining(ourKeys::add);
    assertEquals(theirKeys, ourKeys);
    JsonNode theirHistory = dockerConfig.get("history");
    JsonNode ourHistory = ours.get("history");
    assertEquals(theirHistory.size(), ourHistory.size());
    for (int i = 0; i < theirHistory.size() - 1; i++) {
      assertEquals(theirHistory.get(i), ourHistory.get(i), "history " + i);
    }
    JsonNode theirLast = theirHistory.get(theirHistory.size() - 1).deepCopy();
    JsonNode ourLast = ourHistory.get(ourHistory.size() - 1).deepCopy();
    List<String> lastKeys = new ArrayList<>();
    ourLast.fieldNames().forEachRemaining(lastKeys::add);
    assertEquals(List.of("created", "author", "created_by", "comment"), lastKeys);
    assertEquals(theirLast.get("author"), ourLast.get("author"));
    assertEquals(theirLast.get("comment"), ourLast.get("comment"));
    assertEquals("/bin/sh", ourLast.get("created_by").asText(), "the container's command");
    for (String f : List.of("architecture", "os", "author")) {
      assertEquals(dockerConfig.get(f), ours.get(f), f);
    }
    assertEquals(dockerConfig.at("/config/Env"), ours.at("/config/Env"));
    assertEquals(dockerConfig.at("/config/Labels"), ours.at("/config/Labels"));
    assertEquals(dockerConfig.at("/container_config/Env"), ours.at("/container_config/Env"));
    assertEquals(dockerConfig.at("/config/Image"), ours.at("/config/Image"));
    assertEquals(c.id().shortId(), ours.at("/config/Hostname").asText());
    assertEquals(c.id().hex(), ours.get("container").asText());
    JsonNode theirIds = dockerConfig.at("/rootfs/diff_ids");
    JsonNode ourIds = ours.at("/rootfs/diff_ids");
    assertEquals(theirIds.size(), ourIds.size());
    for (int i = 0; i < theirIds.size() - 1; i++) {
      assertEquals(theirIds.get(i), ourIds.get(i));
    }
    List<String> configKeys = new ArrayList<>();
    dockerConfig.get("config").fieldNames().forEachRemaining(configKeys::add);
    List<String> ourConfigKeys = new ArrayList<>();
    ours.get("config").fieldNames().forEachRemaining(ourConfigKeys::add);
    assertEquals(configKeys, ourConfigKeys, "container config fields in Go's order");
  }

  @Test
  void exportWritesWhatDockerExportWrites() throws Exception {
    try (LayerStore store = LayerStore.open(work.resolve("export"))) {
      store.load(Fixtures.fxMultiArchive());
      Container c = store.containers().create("fx:multi", CreateOptions.defaults());
      Path out = work.resolve("ours-export.tar");
      store.containers().export(c.name(), out);
      List<String> ours;
      try (InputStream in = Files.newInputStream(out)) {
        ours = TarListing.of(in, false, x -> x.equals("security.capability"));
      }
      assertEquals(String.join("\n", dockerExport), String.join("\n", ours));
      try (InputStream in = Files.newInputStream(out)) {
        assertTrue(
            TarListing.of(in, false, x -> true).stream()
                .anyMatch(
                    l -> l.startsWith("etc/os-release ") && l.contains("user.layerstore.test=")),
            "we keep user.* xattrs that Docker's tar writer drops");
      }
    }
  }

  @Test
  void createLeavesTheLayoutDockerCreateLeaves() throws Exception {
    Path dockerRoot = docker.dataRoot();
    Layout theirs = Layout.read(dockerRoot, dockerCreated);
    try (LayerStore store = LayerStore.open(work.resolve("layout"))) {
      store.load(Fixtures.fxMultiArchive());
      Container c = store.containers().create("fx:multi", CreateOptions.defaults());
      Layout ours = Layout.read(store.root(), c.id().hex());
      assertEquals(theirs.mountsEntry, ours.mountsEntry, "layerdb/mounts/<id>");
      assertEquals(theirs.initDir, ours.initDir, "overlay2/<mount-id>-init");
      assertEquals(theirs.rwDir, ours.rwDir, "overlay2/<mount-id>");
      assertEquals(theirs.initDiff, ours.initDiff, "overlay2/<mount-id>-init/diff");
      assertEquals(theirs.rwDiff, ours.rwDiff, "overlay2/<mount-id>/diff");
      assertEquals(theirs.lowers, ours.lowers, "lower files, as chains of layers");
      assertTrue(ours.initDiff.size() > 5, ours.initDiff.toString());
    }
  }

  /**
   * What a container leaves on disk, with random ids replaced by their roles: {@code <mount-id>},
   * links by the layer they point at. The kernel's own traces are left out: {@code work/work},
   * which it makes at the first read-write mount (Docker fills the init layer through a kernel
   * mount, we write it directly), and its {@code trusted.overlay.*} bookkeeping xattrs.
   */
  private static final class Layout {
    List<String> mountsEntry = new ArrayList<>();
    List<String> initDir;
    List<String> rwDir;
    List<String> initDiff;
    List<String> rwDiff;
    List<String> lowers = new ArrayList<>();

    static Layout read(Path root, String containerId) throws IOException {
      Layout l = new Layout();
      Path mounts = root.resolve("image/overlay2/layerdb/mounts").resolve(containerId);
      String mountId = Files.readString(mounts.resolve("mount-id"));
      assertTrue(mountId.matches("[0-9a-f]{64}"), mountId);
      l.mountsEntry.add(". " + mode(mounts));
      try (Stream<Path> s = Files.list(mounts)) {
        for (Path p : s.sorted().toList()) {
          String content = Files.readString(p).replace(mountId, "<mount-id>");
          l.mountsEntry.add(p.getFileName() + " " + mode(p) + " " + content);
        }
      }
      Path home = root.resolve("overlay2");
      Map<String, String> roles = new HashMap<>();
      roles.put(mountId, "<mount-id>");
      roles.put(mountId + "-init", "<mount-id>-init");
      try (Stream<Path> s = Files.list(root.resolve("image/overlay2/layerdb/sha256"))) {
        for (Path p : s.toList()) {
          roles.put(
              Files.readString(p.resolve("cache-id")).strip(),
              "layer " + p.getFileName().toString().substring(0, 12));
        }
      }
      l.initDir = dir(home.resolve(mountId + "-init"), home, roles);
      l.rwDir = dir(home.resolve(mountId), home, roles);
      l.initDiff = diff(home.resolve(mountId + "-init/diff"));
      l.rwDiff = diff(home.resolve(mountId + "/diff"));
      for (String id : List.of(mountId + "-init", mountId)) {
        StringBuilder chain = new StringBuilder(roles.get(id)).append(':');
        for (String entry : Files.readString(home.resolve(id).resolve("lower")).split(":")) {
          Path target = Files.readSymbolicLink(home.resolve(entry));
          chain.append(' ').append(roles.get(target.getParent().getFileName().toString()));
        }
        l.lowers.add(chain.toString());
      }
      return l;
    }

    /** The driver dir's entries but diff/ content and the kernel's work/work. */
    private static List<String> dir(Path dir, Path home, Map<String, String> roles)
        throws IOException {
      List<String> out = new ArrayList<>();
      out.add(". " + mode(dir));
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted().toList()) {
          String rel = dir.relativize(p).toString();
          if (rel.isEmpty() || rel.startsWith("diff/") || rel.equals("work/work")) {
            continue;
          }
          StringBuilder line = new StringBuilder(rel).append(' ').append(mode(p));
          if (rel.equals("link")) {
            String link = Files.readString(p);
            assertTrue(link.matches("[A-Z2-7]{26}"), link);
            line.append(" -> ")
                .append(
                    Files.readSymbolicLink(home.resolve("l").resolve(link))
                        .toString()
                        .replace(
                            dir.getFileName().toString(), roles.get(dir.getFileName().toString())));
          } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !rel.equals("lower")) {
            line.append(" size=").append(Files.size(p));
          }
          out.add(line.toString());
        }
      }
      return out;
    }

    private static List<String> diff(Path dir) throws IOException {
      List<String> out = new ArrayList<>();
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted().toList()) {
          StringBuilder line =
              new StringBuilder("/" + dir.relativize(p)).append(' ').append(mode(p));
          Map<String, Object> a =
              Files.readAttributes(p, "unix:uid,gid,size", LinkOption.NOFOLLOW_LINKS);
          line.append(' ').append(a.get("uid")).append(':').append(a.get("gid"));
          if (Files.isSymbolicLink(p)) {
            line.append(" -> ").append(Files.readSymbolicLink(p));
          } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            line.append(" size=").append(a.get("size"));
          }
          for (Map.Entry<String, String> x : xattrs(p).entrySet()) {
            line.append(' ').append(x.getKey()).append('=').append(x.getValue());
          }
          out.add(line.toString());
        }
      }
      return out;
    }

    /** Extended attributes but the kernel's overlay bookkeeping, via getfattr. */
    private static Map<String, String> xattrs(Path p) throws IOException {
      Map<String, String> out = new TreeMap<>();
      Process proc =
          new ProcessBuilder("getfattr", "-h", "-d", "-m", "-", "-e", "hex", p.toString())
              .redirectErrorStream(true)
              .start();
      String text = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      for (String line : text.lines().toList()) {
        int eq = line.indexOf('=');
        if (eq > 0 && !line.startsWith("#") && !line.startsWith("trusted.overlay.")) {
          out.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      return out;
    }

    private static String mode(Path p) throws IOException {
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return String.format("%06o", mode);
    }
  }

  /** The image config of a one-image {@code docker save} archive. */
  static JsonNode config(byte[] archive) throws IOException {
    Map<String, byte[]> files = members(archive);
    JsonNode manifest = JSON.readTree(files.get("manifest.json")).get(0);
    return JSON.readTree(files.get(manifest.get("Config").asText()));
  }

  private static Map<String, byte[]> members(byte[] archive) throws IOException {
    Map<String, byte[]> files = new HashMap<>();
    try (TarReader r = new TarReader(new ByteArrayInputStream(archive), "save")) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        if (h.isRegular()) {
          files.put(h.name(), r.content().readAllBytes());
        }
      }
    }
    return files;
  }

  /** The listing of the last layer of a {@code docker save} archive (mtimes aside). */
  static List<String> lastLayer(byte[] archive) throws IOException {
    Map<String, byte[]> files = members(archive);
    JsonNode manifest = JSON.readTree(files.get("manifest.json")).get(0);
    JsonNode layers = manifest.get("Layers");
    byte[] tar = files.get(layers.get(layers.size() - 1).asText());
    return TarListing.of(new ByteArrayInputStream(tar), false, x -> true);
  }

  private static List<String> sorted(List<String> lines) {
    return new ArrayList<>(new TreeSet<>(lines));
  }

  private static String check(PrivateDocker.Result r, String what) {
    assertEquals(0, r.exitCode(), what + ": " + r.out());
    return r.out();
  }
}

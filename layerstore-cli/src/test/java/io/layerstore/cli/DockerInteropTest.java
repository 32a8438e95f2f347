package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RootfsManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2 acceptance against the real thing: a private dockerd (Debian's docker.io) and the
 * reference tar-split tool. Our data-root must be one Docker reads, Docker's one we read, and our
 * save one Docker loads with the same image id.
 */
class DockerInteropTest {

  @TempDir Path tmp;

  @BeforeEach
  void requirements() {
    PlatformRequirements.requireKernelOverlay();
    PlatformRequirements.require(
        PrivateDocker.available(), "a dockerd binary (Debian package docker.io)");
  }

  private static Path loadedStore(Path root) throws IOException {
    try (LayerStore store = LayerStore.open(root)) {
      store.load(Fixtures.fxMultiArchive());
    }
    return root;
  }

  @Test
  void dockerLoadsOurSaveWithTheSameImageId() throws Exception {
    Path out = tmp.resolve("out.tar");
    try (LayerStore store = LayerStore.open(tmp.resolve("root"))) {
      store.load(Fixtures.fxMultiArchive());
      store.save(List.of("fx:multi"), out);
    }
    try (PrivateDocker d = PrivateDocker.start(tmp.resolve("d"))) {
      PrivateDocker.Result r = d.docker("load", "-i", out.toString());
      assertEquals(0, r.exitCode(), r.out());
      PrivateDocker.Result id = d.docker("image", "inspect", "--format", "{{.Id}}", "fx:multi");
      assertEquals(Fixtures.FX_MULTI_ID, id.out().strip());
    }
  }

  @Test
  void dockerRunsTheImageFromOurDataRoot() throws Exception {
    Path root = loadedStore(tmp.resolve("root"));
    try (PrivateDocker d = PrivateDocker.start(tmp.resolve("d"), root)) {
      PrivateDocker.Result images =
          d.docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");
      assertEquals("fx:multi 7baf36a82e1e", images.out().strip());
      PrivateDocker.Result run =
          d.docker("run", "--rm", "--network", "none", "fx:multi", "cat", "/etc/conf.d/b.conf");
      assertEquals(0, run.exitCode(), run.out());
      assertEquals("changed", run.out().strip());
      // and Docker's own save of our store is byte for byte its save of its own
      Path saved = tmp.resolve("docker-save.tar");
      PrivateDocker.Result save = d.docker("save", "-o", saved.toString(), "fx:multi");
      assertEquals(0, save.exitCode(), save.out());
      assertArrayEquals(Files.readAllBytes(Fixtures.fxMultiArchive()), Files.readAllBytes(saved));
    }
  }

  /** Docker's data-root after `docker load`, unpacked with its xattrs and device nodes. */
  private Path dockersRoot() throws Exception {
    Path d = tmp.resolve("docker-root");
    Files.createDirectories(d);
    Process p =
        new ProcessBuilder(
                "tar",
                "--xattrs",
                "--xattrs-include=*",
                "--numeric-owner",
                "-xpf",
                Fixtures.fxMultiDockerRoot().toString(),
                "-C",
                d.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return d;
  }

  @Test
  void weOpenDockersDataRoot() throws Exception {
    Path root = dockersRoot();
    Path out = tmp.resolve("out.tar");
    try (LayerStore store = LayerStore.open(root)) {
      assertEquals("overlay2", store.driverName());
      assertEquals(List.of("fx:multi"), store.images().get(0).repoTags());
      try (Mount m = store.mount("fx:multi")) {
        assertTrue(m.isKernelMount());
        assertEquals(
            RootfsManifest.read(Fixtures.fxMultiManifest(), true),
            RootfsManifest.of(m.root(), true));
      }
      store.save(List.of("fx:multi"), out);
    }
    assertArrayEquals(Files.readAllBytes(Fixtures.fxMultiArchive()), Files.readAllBytes(out));
  }

  @Test
  void ourDataRootMatchesDockers() throws Exception {
    Path ours = loadedStore(tmp.resolve("root"));
    Path docker = dockersRoot();
    Path ourDb = ours.resolve("image/overlay2");
    Path theirDb = docker.resolve("image/overlay2");
    assertArrayEquals(
        Files.readAllBytes(theirDb.resolve("repositories.json")),
        Files.readAllBytes(ourDb.resolve("repositories.json")));
    assertEquals(
        names(theirDb.resolve("imagedb/content/sha256")),
        names(ourDb.resolve("imagedb/content/sha256")));
    for (String id : names(theirDb.resolve("imagedb/content/sha256"))) {
      assertArrayEquals(
          Files.readAllBytes(theirDb.resolve("imagedb/content/sha256").resolve(id)),
          Files.readAllBytes(ourDb.resolve("imagedb/content/sha256").resolve(id)));
    }
    List<String> chains = names(theirDb.resolve("layerdb/sha256"));
    assertEquals(5, chains.size());
    assertEquals(chains, names(ourDb.resolve("layerdb/sha256")));
    Map<String, String> ourCache = new TreeMap<>();
    Map<String, String> theirCache = new TreeMap<>();
    for (String c : chains) {
      Path o = ourDb.resolve("layerdb/sha256").resolve(c);
      Path t = theirDb.resolve("layerdb/sha256").resolve(c);
      for (String f : List.of("diff", "size", "parent")) {
        assertEquals(Files.exists(t.resolve(f)), Files.exists(o.resolve(f)), c + "/" + f);
        if (Files.exists(t.resolve(f))) {
          assertArrayEquals(
              Files.readAllBytes(t.resolve(f)), Files.readAllBytes(o.resolve(f)), c + "/" + f);
        }
      }
      assertArrayEquals(
          gunzip(t.resolve("tar-split.json.gz")),
          gunzip(o.resolve("tar-split.json.gz")),
          c + " tar-split");
      String cache = Files.readString(o.resolve("cache-id"));
      assertTrue(cache.matches("[0-9a-f]{64}"), cache);
      ourCache.put(c, cache);
      theirCache.put(c, Files.readString(t.resolve("cache-id")));
      assertEquals(mode(t), mode(o), c);
      assertEquals(mode(t.resolve("diff")), mode(o.resolve("diff")), c + "/diff");
    }
    assertEquals("710", mode(ours), "the data-root itself (docs/overlay2-layout.md §1)");
    for (String[] p :
        new String[][] {
          {"image", ""},
          {"image/overlay2", ""},
          {"image/overlay2/layerdb", ""},
          {"image/overlay2/layerdb/sha256", ""},
          {"image/overlay2/imagedb", ""},
          {"image/overlay2/repositories.json", ""},
          {"overlay2", ""},
          {"overlay2/l", ""}
        }) {
      assertEquals(mode(docker.resolve(p[0])), mode(ours.resolve(p[0])), "mode of " + p[0]);
    }
    Platform platform = Platform.forRoot(ours);
    for (String c : chains) {
      Path o = ours.resolve("overlay2").resolve(ourCache.get(c));
      Path t = docker.resolve("overlay2").resolve(theirCache.get(c));
      assertEquals(entries(t), entries(o), "entries of the layer dir of " + c);
      String link = Files.readString(o.resolve("link"));
      assertTrue(link.matches("[A-Z2-7]{26}"), link);
      assertEquals(
          "../" + ourCache.get(c) + "/diff",
          Files.readSymbolicLink(ours.resolve("overlay2/l").resolve(link)).toString());
      for (String f : List.of("diff", "link", "lower", "work", "committed")) {
        if (Files.exists(t.resolve(f))) {
          assertEquals(mode(t.resolve(f)), mode(o.resolve(f)), c + " " + f);
        }
      }
      if (Files.exists(t.resolve("lower"))) {
        // Same chain: each entry of our lower names the layer at the same position in theirs.
        assertEquals(lowerLayers(docker, t, theirCache), lowerLayers(ours, o, ourCache));
      }
      assertEquals(
          describeTree(platform.tree(t.resolve("diff"), null)),
          describeTree(platform.tree(o.resolve("diff"), null)),
          "diff of " + c);
    }
  }

  @Test
  void referenceTarSplitReassemblesEveryLayerFromOurFiles() throws Exception {
    Path tool = PlatformRequirements.requireExecutable("tar-split", "tar-split");
    Path ours = loadedStore(tmp.resolve("root"));
    Path db = ours.resolve("image/overlay2/layerdb/sha256");
    for (String c : names(db)) {
      String cache = Files.readString(db.resolve(c).resolve("cache-id"));
      Process p =
          new ProcessBuilder(
                  tool.toString(),
                  "asm",
                  "--input",
                  db.resolve(c).resolve("tar-split.json.gz").toString(),
                  "--path",
                  ours.resolve("overlay2").resolve(cache).resolve("diff").toString(),
                  "--output",
                  "-")
              .start();
      byte[] tar;
      try (InputStream in = p.getInputStream()) {
        tar = in.readAllBytes();
      }
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), err);
      assertEquals(
          Files.readString(db.resolve(c).resolve("diff")), Digest.of(tar).toString(), "layer " + c);
    }
  }

  @Test
  void cliLoadMountUmountAsTheIssueDescribes() throws Exception {
    Path root = tmp.resolve("R");
    assertEquals(
        "Loaded image: fx:multi\n",
        run("--root", root.toString(), "load", "-i", Fixtures.fxMultiArchive().toString()));
    String images = run("--root", root.toString(), "images");
    assertTrue(images.startsWith("REPOSITORY   TAG     IMAGE ID       CREATED"), images);
    assertTrue(images.contains("fx           multi   7baf36a82e1e"), images);
    String dir = run("--root", root.toString(), "mount", "fx:multi").strip();
    try {
      Process p =
          new ProcessBuilder("python3", Fixtures.rootfsManifestScript().toString(), dir)
              .redirectErrorStream(true)
              .start();
      String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), listing);
      assertEquals(Files.readString(Fixtures.fxMultiManifest()), listing);
    } finally {
      run("--root", root.toString(), "umount", "fx:multi");
    }
    assertFalse(Files.exists(Path.of(dir)));
    Path out = tmp.resolve("out.tar");
    run("--root", root.toString(), "save", "-o", out.toString(), "fx:multi");
    assertArrayEquals(Files.readAllBytes(Fixtures.fxMultiArchive()), Files.readAllBytes(out));
  }

  /** Runs the command line in this JVM; fails unless it succeeds. Returns what it printed. */
  static String run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))
            .run(args);
    assertEquals(0, status, Arrays.toString(args) + ": " + err.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static List<String> names(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(p -> out.add(p.getFileName().toString()));
    }
    out.sort(String::compareTo);
    return out;
  }

  private static List<String> entries(Path dir) throws IOException {
    return names(dir);
  }

  private static String mode(Path p) throws IOException {
    return Integer.toOctalString(
        (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
  }

  private static byte[] gunzip(Path p) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
      return in.readAllBytes();
    }
  }

  /** The chain ids of the layers a {@code lower} file names, nearest first. */
  private static List<String> lowerLayers(
      Path root, Path layerDir, Map<String, String> cacheOfChain) throws IOException {
    Map<String, String> chainOfCache = new TreeMap<>();
    cacheOfChain.forEach((chain, cache) -> chainOfCache.put(cache, chain));
    List<String> out = new ArrayList<>();
    for (String e : Files.readString(layerDir.resolve("lower")).split(":")) {
      assertTrue(e.matches("l/[A-Z2-7]{26}"), e);
      String target = Files.readSymbolicLink(root.resolve("overlay2").resolve(e)).toString();
      out.add(chainOfCache.get(target.substring(3, target.length() - 5)));
    }
    return out;
  }

  /** Every node of a diff dir: type, mode, owner, device, size, content, xattrs, mtime. */
  private static List<String> describeTree(Tree tree) throws IOException {
    List<String> out = new ArrayList<>();
    describe(tree, tree.root(), out);
    out.sort(String::compareTo);
    return out;
  }

  private static void describe(Tree tree, Path dir, List<String> out) throws IOException {
    for (String n : names(dir)) {
      Path p = dir.resolve(n);
      NodeStat st = tree.stat(p);
      StringBuilder sb = new StringBuilder(tree.root().relativize(p).toString());
      sb.append(' ')
          .append(st.kind())
          .append(' ')
          .append(Integer.toOctalString(st.mode()))
          .append(' ')
          .append(st.uid())
          .append(':')
          .append(st.gid())
          .append(' ')
          .append(st.devMajor())
          .append(':')
          .append(st.devMinor());
      if (st.isRegular()) {
        sb.append(' ').append(Digest.of(Files.readAllBytes(p)));
      } else if (st.isSymlink()) {
        sb.append(" -> ").append(Files.readSymbolicLink(p));
      }
      if (!st.isOverlayWhiteout()) {
        sb.append(" mtime=").append(st.mtime().toInstant().getEpochSecond());
      }
      for (Map.Entry<String, byte[]> x : new TreeMap<>(tree.xattrs(p)).entrySet()) {
        sb.append(' ')
            .append(x.getKey())
            .append('=')
            .append(HexFormat.of().formatHex(x.getValue()));
      }
      out.add(sb.toString());
      if (st.isDirectory()) {
        describe(tree, p, out);
      }
    }
  }
}

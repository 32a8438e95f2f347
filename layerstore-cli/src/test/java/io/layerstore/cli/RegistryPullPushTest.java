package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.CheckReport;
import io.layerstore.Digest;
import io.layerstore.DigestMismatchException;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.PullOptions;
import io.layerstore.PushOptions;
import io.layerstore.RegistryOptions;
import io.layerstore.TransferEvent;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.OciLayoutBuilder;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RegistryServer;
import io.layerstore.testkit.RootfsManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull and push against a real, plain {@code docker-registry} on loopback: an image pushed and
 * pulled back has Docker's root file system and the same manifest digest; a pull downloads each
 * layer the store lacks once and nothing else (counted from the registry's access log); a pull then
 * a push to another repository keeps the digest and uploads nothing; bad blobs and missing tags
 * leave the store as it was; the CLI prints docker's lines.
 */
class RegistryPullPushTest {

  @TempDir static Path tmp;
  static RegistryServer registry;

  @BeforeAll
  static void start() throws Exception {
    PlatformRequirements.requireExecutable(RegistryServer.PROGRAM, "docker-registry");
    registry = RegistryServer.plain(tmp);
  }

  @AfterAll
  static void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  static LayerStore open(Path root) throws IOException {
    return LayerStore.builder(root)
        .durable(false)
        .registry(RegistryOptions.builder().dockerConfigDir(tmp.resolve("docker-config")).build())
        .open();
  }

  static String ref(String repoAndTag) {
    return registry.hostPort() + "/" + repoAndTag;
  }

  /** Every event, in order, from any thread. */
  static List<TransferEvent> recorder() {
    return Collections.synchronizedList(new ArrayList<>());
  }

  static Set<TransferEvent.Kind> kinds(List<TransferEvent> events, Digest blob) {
    Set<TransferEvent.Kind> out = EnumSet.noneOf(TransferEvent.Kind.class);
    synchronized (events) {
      events.stream().filter(e -> e.blob().equals(blob)).forEach(e -> out.add(e.kind()));
    }
    return out;
  }

  /** Pushes fx-multi (a docker save archive) from a store of its own as {@code target}. */
  static Digest pushFxMulti(Path root, String target) throws IOException {
    try (LayerStore s = open(root)) {
      ImageId id = s.load(Fixtures.fxMultiArchive()).get(0);
      s.tag(id.toString(), target);
      return s.push(target, PushOptions.defaults());
    }
  }

  static void assertFxMultiRootfs(LayerStore s, String ref) throws IOException {
    try (Mount m = s.mount(ref)) {
      assertEquals(
          RootfsManifest.read(Fixtures.fxMultiManifest(), true), RootfsManifest.of(m.root(), true));
    }
  }

  @Test
  void pushedImagePullsBackWithDockersRootfsAndEveryBlobDownloadedOnce() throws Exception {
    String target = ref("round/fx:1");
    Digest pushed = pushFxMulti(tmp.resolve("round-a"), target);
    Map<Digest, Integer> before = RegistryLog.blobGets(registry.log());
    List<TransferEvent> events = recorder();
    try (LayerStore b = open(tmp.resolve("round-b"))) {
      Digest pulled = b.pull(target, PullOptions.defaults().listener(events::add));
      assertEquals(pushed, pulled);
      assertEquals(Fixtures.FX_MULTI_ID, b.resolve(target).toString());
      assertFxMultiRootfs(b, target);
      CheckReport r = b.check();
      assertTrue(r.isClean(), r.problems()::toString);
    }
    Map<Digest, Integer> gets = RegistryLog.blobGets(registry.log());
    gets.replaceAll((d, n) -> n - before.getOrDefault(d, 0));
    gets.values().removeIf(n -> n == 0);
    // five layers and the config, each once
    assertEquals(6, gets.size(), gets::toString);
    assertTrue(gets.values().stream().allMatch(n -> n == 1), gets::toString);
    Set<Digest> layers =
        events.stream()
            .filter(e -> e.kind() == TransferEvent.Kind.DONE)
            .map(TransferEvent::blob)
            .collect(Collectors.toSet());
    assertEquals(5, layers.size(), events::toString);
    for (Digest l : layers) {
      assertEquals(
          EnumSet.of(
              TransferEvent.Kind.WAITING,
              TransferEvent.Kind.DOWNLOADING,
              TransferEvent.Kind.VERIFYING,
              TransferEvent.Kind.EXTRACTING,
              TransferEvent.Kind.DONE),
          kinds(events, l));
      assertTrue(gets.containsKey(l), "the layer's events name its blob");
    }
  }

  @Test
  void pullThenPushToAnotherRepositoryKeepsTheDigestAndUploadsNothing() throws Exception {
    // A pulled image keeps its manifest and its blobs' record: the push sends them unchanged.
    String first = ref("keep/first:1");
    Digest pushed = pushFxMulti(tmp.resolve("keep-a"), first);
    List<TransferEvent> events = recorder();
    try (LayerStore b = open(tmp.resolve("keep-b"))) {
      b.pull(first, PullOptions.defaults());
      String second = ref("keep/second:2");
      b.tag(first, second);
      Digest again = b.push(second, PushOptions.defaults().listener(events::add));
      assertEquals(pushed, again);
      assertEquals(0, RegistryLog.uploads(registry.log(), "keep/second"));
      long mounted = events.stream().filter(e -> e.kind() == TransferEvent.Kind.MOUNTED).count();
      assertEquals(5, mounted, events::toString);
      assertTrue(
          events.stream()
              .filter(e -> e.kind() == TransferEvent.Kind.MOUNTED)
              .allMatch(e -> e.detail().equals("keep/first")),
          events::toString);
      // And to the same repository: every layer is there already.
      events.clear();
      assertEquals(pushed, b.push(first, PushOptions.defaults().listener(events::add)));
      assertEquals(
          5, events.stream().filter(e -> e.kind() == TransferEvent.Kind.LAYER_EXISTS).count());
    }
  }

  @Test
  void compressionIsDeterministicSoTwoStoresPushTheSameBlobs() throws Exception {
    Digest one = pushFxMulti(tmp.resolve("det-a"), ref("det/one:1"));
    Digest two = pushFxMulti(tmp.resolve("det-b"), ref("det/two:1"));
    assertEquals(one, two, "the same layers compress to the same blobs, so the same manifest");
    assertTrue(RegistryLog.uploads(registry.log(), "det/two") >= 5, "det-b compressed them itself");
  }

  @Test
  void aChosenGzipLevelGivesOtherBlobsMarkedAsGoMarksThemThatPullBack() throws Exception {
    Digest fast = pushFxMulti(tmp.resolve("level-a"), ref("level/fast:1"));
    String six = ref("level/six:1");
    Digest slow;
    try (LayerStore s = open(tmp.resolve("level-b"))) {
      ImageId id = s.load(Fixtures.fxMultiArchive()).get(0);
      s.tag(id.toString(), six);
      slow = s.push(six, PushOptions.defaults().gzipLevel(6));
    }
    assertNotEquals(fast, slow, "level 6 makes other blobs, so another manifest");
    // gzip's XFL byte: 4 for level 1 (the default), 0 for level 6, as Go's compress/gzip writes.
    assertEquals(List.of(4), xflOfLayers(fast));
    assertEquals(List.of(0), xflOfLayers(slow));
    try (LayerStore c = open(tmp.resolve("level-c"))) {
      c.pull(six, PullOptions.defaults());
      assertFxMultiRootfs(c, six);
    }
  }

  /** The distinct XFL bytes of the layer blobs of a manifest, read from the registry's storage. */
  private static List<Integer> xflOfLayers(Digest manifest) throws IOException {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\"digest\": \"sha256:([0-9a-f]{64})\"")
            .matcher(Files.readString(stored(manifest.hex())));
    m.find(); // the config
    java.util.TreeSet<Integer> xfl = new java.util.TreeSet<>();
    while (m.find()) {
      try (java.io.InputStream in = Files.newInputStream(stored(m.group(1)))) {
        xfl.add(in.readNBytes(10)[8] & 0xff);
      }
    }
    return List.copyOf(xfl);
  }

  private static Path stored(String hex) {
    return registry
        .storage()
        .resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2))
        .resolve(hex)
        .resolve("data");
  }

  @Test
  void zstdLayersGoAsAnOciManifestAndPullBack() throws Exception {
    String target = ref("zstd/fx:1");
    Digest pushed;
    try (LayerStore s = open(tmp.resolve("zstd-a"))) {
      ImageId id = s.load(Fixtures.fxMultiArchive()).get(0);
      s.tag(id.toString(), target);
      pushed =
          s.push(target, PushOptions.defaults().compression(PushOptions.LayerCompression.ZSTD));
    }
    Path manifest =
        registry
            .storage()
            .resolve("docker/registry/v2/blobs/sha256/" + pushed.hex().substring(0, 2))
            .resolve(pushed.hex())
            .resolve("data");
    String json = Files.readString(manifest);
    assertTrue(json.contains("\"application/vnd.oci.image.manifest.v1+json\""), json);
    assertEquals(
        5, json.split("application/vnd.oci.image.layer.v1.tar\\+zstd", -1).length - 1, json);
    try (LayerStore b = open(tmp.resolve("zstd-b"))) {
      assertEquals(pushed, b.pull(target, PullOptions.defaults()));
      assertFxMultiRootfs(b, target);
    }
  }

  /** An image of {@code layers} layers; the first two are the same in every image. */
  static Path archive(String name, String tag, int layers) throws IOException {
    ImageArchiveBuilder a = new ImageArchiveBuilder().tag(tag);
    for (int i = 0; i < layers; i++) {
      String dir = i < 2 ? "shared" + i : name + i;
      ImageArchiveBuilder.LayerBuilder l = a.layer().dir(dir, 0755);
      for (int f = 0; f < 50; f++) {
        l.file(dir + "/f" + f, (dir + " " + f + "\n").repeat(200), 0644);
      }
    }
    Path out = tmp.resolve(name + ".tar");
    a.write(out);
    return out;
  }

  @Test
  void layersTheStoreHasAreNotDownloaded() throws Exception {
    String base = ref("share/base:1");
    String app = ref("share/app:1");
    try (LayerStore s = open(tmp.resolve("share-src"))) {
      s.load(archive("base", base, 2));
      s.load(archive("app", app, 3));
      s.push(base, PushOptions.defaults());
      s.push(app, PushOptions.defaults());
    }
    try (LayerStore t = open(tmp.resolve("share-dst"))) {
      t.pull(base, PullOptions.defaults());
      Map<Digest, Integer> before = RegistryLog.blobGets(registry.log());
      List<TransferEvent> events = recorder();
      t.pull(app, PullOptions.defaults().listener(events::add));
      Map<Digest, Integer> gets = RegistryLog.blobGets(registry.log());
      gets.replaceAll((d, n) -> n - before.getOrDefault(d, 0));
      gets.values().removeIf(n -> n == 0);
      assertEquals(2, gets.size(), "app's own layer and its config only: " + gets);
      assertEquals(
          2,
          events.stream().filter(e -> e.kind() == TransferEvent.Kind.ALREADY_EXISTS).count(),
          events::toString);
      assertEquals(
          1,
          events.stream().filter(e -> e.kind() == TransferEvent.Kind.DONE).count(),
          events::toString);
      assertTrue(t.check().isClean());
    }
  }

  @Test
  void aBlobThatDoesNotHashToItsDigestLeavesTheStoreAsItWas() throws Exception {
    String target = ref("bad/blob:1");
    try (LayerStore s = open(tmp.resolve("bad-src"))) {
      s.load(archive("bad", target, 3));
      s.push(target, PushOptions.defaults());
    }
    // The registry serves what its storage holds: flip one byte of the biggest blob linked in the
    // repository (blobs are stored once for all repositories, linked from each).
    Path v2 = registry.storage().resolve("docker/registry/v2");
    Path biggest;
    try (Stream<Path> links = Files.list(v2.resolve("repositories/bad/blob/_layers/sha256"))) {
      biggest =
          links
              .map(l -> l.getFileName().toString())
              .map(h -> v2.resolve("blobs/sha256/" + h.substring(0, 2) + "/" + h + "/data"))
              .max((x, y) -> Long.compare(x.toFile().length(), y.toFile().length()))
              .orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(biggest);
    byte[] original = bytes.clone();
    bytes[bytes.length / 2] ^= 1;
    Files.write(biggest, bytes);
    Path root = tmp.resolve("bad-dst");
    try (LayerStore t = open(root)) {
      // Flipped bytes usually break the gzip stream before its end, where the digest is checked:
      // either way the error names the registry, the repository and the blob.
      IOException e = assertThrows(IOException.class, () -> t.pull(target, PullOptions.defaults()));
      assertTrue(
          e instanceof DigestMismatchException || e instanceof InvalidArchiveException,
          e::toString);
      String hex = biggest.getParent().getFileName().toString();
      assertTrue(e.getMessage().contains(ref("bad/blob")), e.getMessage());
      assertTrue(e.getMessage().contains(hex), e.getMessage());
      assertTrue(t.images().isEmpty());
      CheckReport r = t.check();
      assertTrue(r.isClean(), r.problems()::toString);
    } finally {
      Files.write(biggest, original);
    }
    try (LayerStore t = open(root)) {
      t.pull(target, PullOptions.defaults()); // the next pull completes
      assertEquals(1, t.images().size());
    }
  }

  @Test
  void aMissingTagIsNotFoundAndChangesNothing() throws Exception {
    Path root = tmp.resolve("missing");
    try (LayerStore t = open(root)) {
      NotFoundException e =
          assertThrows(
              NotFoundException.class, () -> t.pull(ref("nothing/here:1"), PullOptions.defaults()));
      assertTrue(e.getMessage().contains("nothing/here"), e.getMessage());
      assertTrue(t.images().isEmpty());
      assertThrows(
          NotFoundException.class, () -> t.push(ref("nothing/here:1"), PushOptions.defaults()));
    }
  }

  @Test
  void platformsOfAnIndexAreChosenAsALoadChoosesThem() throws Exception {
    Path skopeo = PlatformRequirements.requireExecutable("skopeo", "skopeo");
    Path layout = tmp.resolve("two-platforms");
    OciLayoutBuilder.twoPlatforms(Fixtures.fixtures().resolve("fx-multi.oci"), "fx/multi:both")
        .writeDir(layout);
    String target = ref("multi/both:1");
    Process p =
        new ProcessBuilder(
                skopeo.toString(),
                "copy",
                "-q",
                "--all",
                "--dest-tls-verify=false",
                "oci:" + layout + ":fx/multi:both",
                "docker://" + target)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    String host = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
    try (LayerStore s = open(tmp.resolve("platform-host"))) {
      Digest index = s.pull(target, PullOptions.defaults());
      assertEquals(host, s.image(target).architecture());
      assertTrue(s.platformIndex(target).isEmpty(), "one platform kept: no index recorded");
      // by digest: the same image, under name@digest
      String byDigest = ref("multi/both@" + index);
      assertEquals(index, s.pull(byDigest, PullOptions.defaults()));
      assertEquals(s.resolve(target), s.resolve(byDigest));
    }
    try (LayerStore s = open(tmp.resolve("platform-arm"))) {
      s.pull(target, PullOptions.defaults().platform("linux/arm64"));
      assertEquals("arm64", s.image(target).architecture());
      assertThrows(
          InvalidArchiveException.class,
          () -> s.pull(target, PullOptions.defaults().platform("linux/s390x")));
    }
    try (LayerStore s = open(tmp.resolve("platform-all"))) {
      Digest index = s.pull(target, PullOptions.defaults().allPlatforms());
      assertEquals(2, s.images().size());
      assertEquals(host, s.image(target).architecture());
      assertEquals(index, s.platformIndex(target).orElseThrow().digest());
      assertTrue(s.check().isClean());
    }
  }

  private static String cli(Path root, String... args) {
    List<String> all = new ArrayList<>(List.of("--root", root.toString()));
    all.addAll(List.of(args));
    return DockerInteropTest.run(all.toArray(String[]::new));
  }

  @Test
  void theCommandLinePrintsDockersLines() throws Exception {
    String target = ref("cli/fx:1");
    Digest pushed = pushFxMulti(tmp.resolve("cli-src"), target);
    Path root = tmp.resolve("cli-dst");
    List<String> lines = cli(root, "pull", target).lines().toList();
    assertEquals("1: Pulling from cli/fx", lines.get(0));
    assertEquals(
        5,
        lines.stream().filter(l -> l.matches("[0-9a-f]{12}: Pull complete")).count(),
        lines::toString);
    assertTrue(lines.contains("Digest: " + pushed), lines::toString);
    assertTrue(lines.contains("Status: Downloaded newer image for " + target), lines::toString);
    assertEquals(target, lines.get(lines.size() - 1));
    List<String> again = cli(root, "pull", target).lines().toList();
    assertTrue(again.contains("Status: Image is up to date for " + target), again::toString);
    assertEquals(target + "\n", cli(root, "pull", "-q", target));
    // push: docker's first and last lines; -q prints the reference alone
    String copy = ref("cli/copy:2");
    cli(root, "tag", target, copy);
    List<String> push = cli(root, "push", copy).lines().toList();
    assertEquals("The push refers to repository [" + ref("cli/copy") + "]", push.get(0));
    assertEquals(
        5,
        push.stream().filter(l -> l.matches("[0-9a-f]{12}: Mounted from cli/fx")).count(),
        push::toString);
    // docker's last line: the manifest's length as the registry stored it
    long size =
        Files.size(
            registry
                .storage()
                .resolve("docker/registry/v2/blobs/sha256")
                .resolve(pushed.hex().substring(0, 2))
                .resolve(pushed.hex())
                .resolve("data"));
    assertEquals("2: digest: " + pushed + " size: " + size, push.get(push.size() - 1));
    assertEquals(copy + "\n", cli(root, "push", "-q", copy));
    assertNotEquals("", cli(root, "images"));
  }
}

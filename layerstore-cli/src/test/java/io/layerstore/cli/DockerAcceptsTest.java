package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PlatformMode;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.PlatformRequirements;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 §4 and §5 against a private dockerd: the two inputs Docker accepts and we used to refuse
 * (a hardlink to a symlink of the same layer, an opaque marker at a layer's root) load, mount to
 * what Docker's own container shows, and save byte for byte; {@code layerstore info} says what
 * {@code docker info} says about overlay2 storage on this machine. One daemon serves every test.
 */
class DockerAcceptsTest {

  @TempDir static Path tmp;

  private static PrivateDocker docker;

  @BeforeAll
  static void startDocker() throws Exception {
    PlatformRequirements.requireKernelOverlay();
    PlatformRequirements.require(
        PrivateDocker.available(), "a dockerd binary (Debian package docker.io)");
    docker = PrivateDocker.start(tmp.resolve("d"));
  }

  @AfterAll
  static void stopDocker() throws IOException {
    if (docker != null) {
      docker.close();
    }
  }

  @Test
  void infoSaysWhatDockerInfoSaysAboutOverlay2() throws Exception {
    Path root = tmp.resolve("info-root");
    String ours = DockerInteropTest.run("--root", root.toString(), "info");
    PrivateDocker.Result info = docker.docker("info");
    assertEquals(0, info.exitCode(), info.out());
    Map<String, String> facts = lines(ours);
    Map<String, String> theirs = lines(info.out());
    for (String key :
        List.of("Storage Driver", "Backing Filesystem", "Supports d_type", "Native Overlay Diff")) {
      assertTrue(theirs.containsKey(key), "docker info says " + key + ": " + info.out());
      assertEquals(theirs.get(key), facts.get(key), key);
    }
    assertEquals("0", facts.get("Images"));
    assertEquals("0", facts.get("Containers"));
    assertEquals(root.toString(), facts.get("Docker Root Dir"));
  }

  /** moby's TestUntarHardlinkToSymlink: {@code symlink2} is a hardlink of the symlink itself. */
  @Test
  void aHardlinkToASymlinkLoadsMountsAndSavesAsDockerDoes() throws Exception {
    ImageArchiveBuilder b = image("accepts/hardlink-symlink:1");
    b.layer()
        .file("regfile", "content\n", 0644)
        .symlink("symlink1", "regfile")
        .hardlink("symlink2", "symlink1");
    Path archive = write(b, "hardlink-symlink.tar");
    Map<String, String> expected = dockerRootfs(archive, "accepts/hardlink-symlink:1");
    assertEquals("l regfile", expected.get("symlink2"), expected.toString());
    acceptedAsDockerDoes(archive, "accepts/hardlink-symlink:1", expected);
  }

  /**
   * {@code ./.wh..wh..opq} in an upper layer: Docker marks the diff root opaque; it hides nothing.
   */
  @Test
  void anOpaqueMarkerAtTheLayerRootLoadsMountsAndSavesAsDockerDoes() throws Exception {
    ImageArchiveBuilder b = image("accepts/opaque-root:1");
    b.layer().file("a", "lower\n", 0644).dir("dir", 0755).file("dir/b", "lower b\n", 0644);
    b.layer().opaque(".").file("c", "upper\n", 0644);
    Path archive = write(b, "opaque-root.tar");
    Map<String, String> expected = dockerRootfs(archive, "accepts/opaque-root:1");
    assertEquals("f lower\n", expected.get("a"), "Docker's mount shows the lower layer");
    acceptedAsDockerDoes(archive, "accepts/opaque-root:1", expected);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static ImageArchiveBuilder image(String tag) {
    return new ImageArchiveBuilder()
        .created(Instant.parse("2024-03-01T00:00:00Z"))
        .cmd(List.of("/regfile"))
        .tag(tag);
  }

  private static Path write(ImageArchiveBuilder b, String name) throws IOException {
    Path p = tmp.resolve(name);
    b.write(p);
    return p;
  }

  /**
   * Loads {@code archive} into a kernel-mounting store and an in-process one; both mounts show
   * {@code expected}, and both save the layers byte for byte.
   */
  private static void acceptedAsDockerDoes(Path archive, String tag, Map<String, String> expected)
      throws IOException {
    for (PlatformMode mode : List.of(PlatformMode.NATIVE, PlatformMode.EMULATED)) {
      Path root = Files.createTempDirectory(tmp, "store-" + mode);
      try (LayerStore store = LayerStore.builder(root).platform(mode).open()) {
        ImageId id = store.load(archive).get(0);
        try (Mount m = store.mount(id)) {
          assertEquals(mode == PlatformMode.NATIVE, m.isKernelMount());
          assertEquals(expected, rootfs(m.root()), mode + " mount");
        }
        ByteArrayOutputStream saved = new ByteArrayOutputStream();
        store.save(List.of(tag), saved);
        Path again = tmp.resolve("saved-" + mode + ".tar");
        Files.write(again, saved.toByteArray());
        List<byte[]> in = layers(archive);
        List<byte[]> out = layers(again);
        assertEquals(in.size(), out.size());
        for (int i = 0; i < in.size(); i++) {
          assertArrayEquals(in.get(i), out.get(i), mode + ": layer " + i + " differs after save");
        }
      }
    }
  }

  /** What Docker's container of the image shows, less what its init layer adds. */
  private static Map<String, String> dockerRootfs(Path archive, String tag) throws Exception {
    PrivateDocker.Result load = docker.docker("load", "-i", archive.toString());
    assertEquals(0, load.exitCode(), "docker accepts it: " + load.out());
    String name = "c-" + Math.abs(tag.hashCode());
    PrivateDocker.Result create = docker.docker("create", "--name", name, tag);
    assertEquals(0, create.exitCode(), create.out());
    Path export = tmp.resolve(name + ".tar");
    PrivateDocker.Result exported = docker.docker("export", "-o", export.toString(), name);
    assertEquals(0, exported.exitCode(), exported.out());
    Map<String, String> out = new TreeMap<>();
    Map<String, String> links = new HashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(export))) {
      TarArchiveEntry e;
      while ((e = tar.getNextTarEntry()) != null) {
        String n = e.getName().replaceAll("/+$", "");
        String top = n.contains("/") ? n.substring(0, n.indexOf('/')) : n;
        if (List.of(".dockerenv", "dev", "etc", "proc", "sys").contains(top)) {
          continue; // the container's init layer and mount points
        }
        if (e.isLink()) {
          links.put(n, e.getLinkName());
        } else if (e.isSymbolicLink()) {
          out.put(n, "l " + e.getLinkName());
        } else if (e.isDirectory()) {
          out.put(n, "d");
        } else {
          out.put(n, "f " + new String(tar.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
    // a hardlink in the export is the node it links to (a hardlinked symlink stays a symlink)
    links.forEach((n, target) -> out.put(n, out.get(target)));
    return out;
  }

  /** The same description of a mounted tree as {@link #dockerRootfs}. */
  private static Map<String, String> rootfs(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    List<Path> all;
    try (Stream<Path> s = Files.walk(root)) {
      all = new ArrayList<>(s.toList());
    }
    for (Path p : all) {
      if (p.equals(root)) {
        continue;
      }
      String n = root.relativize(p).toString();
      BasicFileAttributes a =
          Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        out.put(n, "l " + Files.readSymbolicLink(p));
      } else if (a.isDirectory()) {
        out.put(n, "d");
      } else {
        out.put(n, "f " + Files.readString(p));
      }
    }
    return out;
  }

  /** {@code Key: value} lines, indentation dropped; the first of a key wins. */
  private static Map<String, String> lines(String text) {
    Map<String, String> out = new HashMap<>();
    for (String line : text.split("\n")) {
      int colon = line.indexOf(": ");
      if (colon > 0) {
        out.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 2).strip());
      }
    }
    return out;
  }

  /** The layer tars of a {@code docker save} archive, in manifest order. */
  private static List<byte[]> layers(Path archive) throws IOException {
    Map<String, byte[]> members = new HashMap<>();
    try (InputStream in = Files.newInputStream(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry e;
      while ((e = tar.getNextTarEntry()) != null) {
        if (e.isFile()) {
          members.put(e.getName(), tar.readAllBytes());
        }
      }
    }
    JsonNode manifest = new ObjectMapper().readTree(members.get("manifest.json"));
    List<byte[]> out = new ArrayList<>();
    for (JsonNode l : manifest.get(0).get("Layers")) {
      byte[] layer = members.get(l.asText());
      if (layer == null) {
        throw new IOException(archive + ": layer " + l.asText() + " is a link; not expected here");
      }
      out.add(layer);
    }
    return out;
  }
}

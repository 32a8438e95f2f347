package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmarks' parts that can be checked without timing: reading {@code /proc} stat lines and
 * mountinfo, the inputs (docker archive, OCI layout), the floor's pipeline with the real tools, and
 * the many-small-files tree.
 */
class BenchPartsTest {
  @TempDir Path dir;

  @Test
  void statFieldsAreCountedFromTheLastParenthesis() throws IOException {
    // a command name with spaces and a ')' of its own, as a thread or a script may have
    Path stat = dir.resolve("stat");
    Files.writeString(
        stat, "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 37 12 5 3 20 0 1 0 99 0 0\n");
    assertArrayEquals(new long[] {37, 12, 5, 3}, CpuClock.fields(stat));
    CpuClock.Reading r = new CpuClock(List.of()).read();
    assertTrue(r.user() >= 0 && r.system() >= 0);
    assertEquals(
        new CpuClock.Reading(0.3, 0.1),
        new CpuClock.Reading(0.5, 0.25).minus(new CpuClock.Reading(0.2, 0.15)));
  }

  @Test
  void aWatchedProcessIsChargedUntilItIsUnwatched() throws Exception {
    Process busy = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
    try {
      Thread.sleep(800); // up to 0.8 s of its CPU time, not ours: it is not reaped
      CpuClock clock = new CpuClock(List.of());
      CpuClock.Reading self = clock.read();
      double alone = self.user() + self.system();
      clock.watch(List.of(busy.pid()));
      CpuClock.Reading watched = clock.read();
      assertTrue(
          watched.user() + watched.system() >= alone + 0.2,
          "the busy process counts: " + watched + " against " + alone);
      clock.unwatch(List.of(busy.pid()));
      CpuClock.Reading after = clock.read();
      assertTrue(
          after.user() + after.system() < alone + 0.15,
          "no longer counted: " + after + " against " + alone);
    } finally {
      busy.destroyForcibly().waitFor();
    }
  }

  @Test
  void overlayOptionsAreReadBackFromMountinfo() throws IOException {
    List<String> mountinfo =
        List.of(
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "97 22 0:52 / /tmp/b\\040x/merged ro,relatime shared:50 - overlay overlay"
                + " ro,lowerdir=l/AAA:l/BBB,redirect_dir=nofollow");
    assertEquals(
        "lowerdir=l/AAA:l/BBB,redirect_dir=nofollow",
        MountBenchmark.superOptions(mountinfo, Path.of("/tmp/b x/merged")));
    IOException e =
        assertThrows(
            IOException.class, () -> MountBenchmark.superOptions(mountinfo, Path.of("/nope")));
    assertTrue(e.getMessage().contains("/nope"));
  }

  @Test
  void aDockerArchiveAndAnOciLayoutGiveTheirLayers() throws IOException {
    ImageInput docker = ImageInput.open(Fixtures.fxMultiArchive(), dir.resolve("prep"));
    assertFalse(docker.oci);
    assertEquals(5, docker.layers.size());
    assertTrue(docker.layers.stream().allMatch(l -> l.compression().isEmpty()));
    long members = docker.members();
    assertTrue(members > 5, "members " + members);
    List<ImageInput.Layer> order = docker.largestFirst();
    for (int i = 1; i < order.size(); i++) {
      assertTrue(order.get(i - 1).bytes() >= order.get(i).bytes());
    }

    ImageInput oci = ImageInput.open(Fixtures.fixtures().resolve("fx-multi.oci"), dir.resolve("x"));
    assertTrue(oci.oci);
    assertEquals("multi", oci.ociRef);
    assertEquals(5, oci.layers.size());
    assertEquals(members, oci.members(), "the same image, the same members");

    Files.writeString(dir.resolve("junk.json"), "{}");
    Path junk = Files.createDirectories(dir.resolve("junk"));
    IOException e = assertThrows(IOException.class, () -> ImageInput.open(junk, dir.resolve("y")));
    assertTrue(e.getMessage().contains("neither a docker save archive nor an OCI image layout"));
  }

  @Test
  void theFloorUnpacksEveryLayerAndHashesItInTheSameRead() throws Exception {
    PlatformRequirements.requireExecutable("sha256sum", "coreutils");
    PlatformRequirements.requireExecutable("bash", "bash");
    PlatformRequirements.requireExecutable("zstd", "zstd");
    ImageInput image = ImageInput.open(Fixtures.fxMultiArchive(), dir.resolve("prep"));
    // one layer compressed with gzip, one with zstd: the pipelines decompress before the hash
    Path gz = dir.resolve("gz");
    Shell.check(
        List.of(
            "bash",
            "-c",
            "gzip -c < \"$1\" > \"$2\"",
            "x",
            image.layers.get(0).file().toString(),
            gz.toString()));
    Path zst = dir.resolve("zst");
    Shell.check(List.of("zstd", "-q", image.layers.get(1).file().toString(), "-o", zst.toString()));
    List<ImageInput.Layer> layers =
        Stream.concat(
                image.layers.stream(),
                Stream.of(
                    new ImageInput.Layer(gz, ImageInput.compression(gz), Files.size(gz)),
                    new ImageInput.Layer(zst, ImageInput.compression(zst), Files.size(zst))))
            .toList();
    assertEquals("gzip", layers.get(5).compression());
    assertEquals("zstd", layers.get(6).compression());
    Path out = Files.createDirectories(dir.resolve("floor"));
    Floor.unpack(layers, out);
    for (int k = 0; k < layers.size(); k++) {
      int source = k < 5 ? k : k - 5;
      String expected = sha256(image.layers.get(source).file());
      String hashed = Files.readString(out.resolve("l" + k + ".fifo.sha256")).split(" ")[0];
      assertEquals(expected, hashed, "layer " + k);
      try (Stream<Path> files = Files.list(out.resolve("l" + k))) {
        assertTrue(files.findAny().isPresent(), "layer " + k + " unpacked");
      }
    }
    Path bad = dir.resolve("bad.tar");
    Files.writeString(bad, "not a tar at all, long enough to be read as a header?");
    assertThrows(
        IOException.class,
        () -> Floor.unpack(List.of(new ImageInput.Layer(bad, "", 10)), dir.resolve("f2")));
  }

  private static String sha256(Path f) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
  }

  @Test
  void theSmallFilesTreeIsTheSameEveryTimeAndSplitInLayers() throws IOException {
    SmallFilesImage.writeTrees(dir.resolve("a"), 400, 2);
    SmallFilesImage.writeTrees(dir.resolve("b"), 400, 2);
    List<Path> a = files(dir.resolve("a"));
    assertEquals(400, a.size());
    assertEquals(
        a.stream().map(p -> dir.resolve("a").relativize(p)).toList(),
        files(dir.resolve("b")).stream().map(p -> dir.resolve("b").relativize(p)).toList());
    long inFirst = a.stream().filter(p -> dir.resolve("a").relativize(p).startsWith("l1")).count();
    assertEquals(200, inFirst);
    for (Path p : a) {
      long size = Files.size(p);
      assertTrue(size >= 200 && size <= 4096, p + ": " + size);
      assertArrayEquals(
          Files.readAllBytes(p),
          Files.readAllBytes(dir.resolve("b").resolve(dir.resolve("a").relativize(p))));
    }
    long dirs = a.stream().map(p -> p.getParent().getFileName()).distinct().count();
    assertTrue(dirs > 10 && dirs <= 20, "about one directory per 20 files: " + dirs);
  }

  private static List<Path> files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }
}

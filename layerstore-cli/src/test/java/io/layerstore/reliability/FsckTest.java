package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.ChainId;
import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.CheckReport.Kind;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.PlatformRequirements;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code check()} / {@code fsck}: clean on a healthy store; with {@code --deep} it names the layer
 * whose diff lost one byte; it finds every kind of leftover and inconsistency, repairs what is safe
 * and reports the rest.
 */
class FsckTest {

  @TempDir Path tmp;

  private static ImageId two(LayerStore s, Path dir) throws IOException {
    ImageArchiveBuilder b = new ImageArchiveBuilder().tag("two:1");
    b.layer().dir("etc", 0755).file("etc/a", "alpha\n", 0644).file("etc/b", "beta\n", 0644);
    b.layer().dir("app", 0755).file("app/run", "#!/bin/sh\necho run\n", 0755).whiteout("etc/b");
    Path archive = dir.resolve("two.tar");
    b.write(archive);
    return s.load(archive).get(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void deepCheckIsCleanOnAHealthyStoreAndNamesTheLayerThatLostAByte(String where)
      throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore s = LayerStore.open(env.root)) {
      s.load(Fixtures.fxMultiArchive());
      ImageId id = two(s, tmp);
      CheckReport healthy = s.check(CheckOptions.defaults().deep());
      assertTrue(healthy.isClean(), healthy.problems()::toString);
      assertTrue(healthy.problems().isEmpty());
      assertEquals(7, healthy.layers());
      assertEquals(2, healthy.images());

      // one byte of one file in the top layer of two:1
      String cacheId = WellFormedEdgesTest.cacheId(s, id, 1);
      Path run = s.driver().diff(cacheId).dir().resolve("app/run");
      byte[] b = Files.readAllBytes(run);
      b[3] ^= 1;
      try (FileChannel ch = FileChannel.open(run, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(b));
      }
      assertTrue(s.check(CheckOptions.defaults()).isClean(), "metadata alone cannot see it");
      CheckReport deep = s.check(CheckOptions.defaults().deep());
      ChainId broken = s.image(id.toString()).chainIds().get(1);
      assertEquals(
          List.of(Kind.LAYER_CONTENT_MISMATCH),
          deep.remaining().stream().map(CheckReport.Problem::kind).toList());
      assertEquals(broken.toString(), deep.remaining().get(0).subject());
      assertTrue(
          deep.remaining().get(0).detail().contains(cacheId), deep.remaining().get(0).detail());
      assertTrue(
          deep.remaining().get(0).detail().contains("app/run"), deep.remaining().get(0).detail());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void leftoversAreFoundAndRepairedAndWhatCannotBeRepairedIsReported(String where)
      throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore s = LayerStore.open(env.root)) {
      ImageId id = two(s, tmp);
      Path image = env.root.resolve("image/overlay2");
      // what dead processes leave: a staging directory with its half-made driver layer, a layer
      // entry being removed, image metadata of an image that is gone, temp files
      Path ws = image.resolve("layerdb/tmp/write-set-" + "ab".repeat(32));
      Files.createDirectories(ws);
      String staged = "cd".repeat(32);
      Files.writeString(ws.resolve("cache-id"), staged);
      s.driver().create(staged, null);
      Path removing =
          image.resolve("layerdb/sha256/" + "ef".repeat(32) + "-" + "01".repeat(16) + "-removing");
      Files.createDirectories(removing);
      Files.writeString(removing.resolve("diff"), "x");
      Files.createDirectories(image.resolve("imagedb/metadata/sha256/" + "12".repeat(32)));
      Files.writeString(
          image.resolve("imagedb/metadata/sha256/" + "12".repeat(32) + "/lastUpdated"), "x");
      Files.writeString(image.resolve(".tmp-repositories.json0123"), "{");
      // the scratch blob of a killed push of an earlier version
      Path pushScratch = env.root.resolve("layerstore/tmp/push-0123abcd.blob");
      Files.createDirectories(pushScratch.getParent());
      Files.writeString(pushScratch, "compressed");
      // a driver layer nothing records, a tag to an image that is gone, an unused layer
      String orphan = "34".repeat(32);
      s.driver().create(orphan, null);
      String repos = Files.readString(image.resolve("repositories.json"));
      Files.writeString(
          image.resolve("repositories.json"),
          repos.substring(0, repos.length() - 2)
              + ",\"gone\":{\"gone:1\":\"sha256:"
              + "56".repeat(32)
              + "\"}}}");
      ImageArchiveBuilder u = new ImageArchiveBuilder();
      u.layer().file("only", "unused\n", 0644);
      u.write(tmp.resolve("u.tar"));
      ImageId unusedImage = s.load(tmp.resolve("u.tar")).get(0);
      ChainId unusedLayer = s.image(unusedImage.toString()).chainIds().get(0);
      Files.delete(image.resolve("imagedb/content/sha256/" + unusedImage.digest().hex()));
      // an inconsistency that no repair can mend: a layer of two:1 lost its driver directory
      String baseCache = WellFormedEdgesTest.cacheId(s, id, 0);
      s.driver().remove(baseCache);

      CheckReport found = s.check(CheckOptions.defaults());
      Set<Kind> kinds =
          found.remaining().stream().map(CheckReport.Problem::kind).collect(Collectors.toSet());
      assertEquals(
          Set.of(
              Kind.STAGING_LEFTOVER,
              Kind.REMOVAL_LEFTOVER,
              Kind.IMAGE_METADATA_ORPHAN,
              Kind.TEMP_FILE,
              Kind.DRIVER_DIR_ORPHAN,
              Kind.REFERENCE_TO_MISSING_IMAGE,
              Kind.LAYER_UNUSED,
              Kind.LAYER_DRIVER_DIR_MISSING,
              Kind.LAYER_DRIVER_PARENT_MISMATCH),
          kinds,
          found.problems()::toString);
      assertTrue(
          found.remaining().stream()
              .anyMatch(p -> p.kind() == Kind.DRIVER_DIR_ORPHAN && p.subject().equals(orphan)));
      assertTrue(
          found.remaining().stream()
              .anyMatch(
                  p -> p.kind() == Kind.TEMP_FILE && p.subject().equals(pushScratch.toString())),
          found.problems()::toString);
      assertTrue(
          found.remaining().stream()
              .anyMatch(
                  p ->
                      p.kind() == Kind.LAYER_UNUSED && p.subject().equals(unusedLayer.toString())));

      CheckReport repaired = s.check(CheckOptions.defaults().repair());
      assertEquals(
          Set.of(Kind.LAYER_DRIVER_DIR_MISSING, Kind.LAYER_DRIVER_PARENT_MISMATCH),
          repaired.remaining().stream().map(CheckReport.Problem::kind).collect(Collectors.toSet()),
          repaired.problems()::toString);
      assertFalse(Files.exists(ws));
      assertFalse(s.driver().exists(staged));
      assertFalse(s.driver().exists(orphan));
      assertFalse(Files.exists(removing));
      assertFalse(Files.exists(pushScratch));
      assertFalse(Files.readString(image.resolve("repositories.json")).contains("gone:1"));
      assertFalse(Files.exists(image.resolve("layerdb/sha256/" + unusedLayer.digest().hex())));
      assertEquals(
          repaired.remaining(),
          s.check(CheckOptions.defaults().repair()).remaining(),
          "what cannot be repaired stays reported");
    }
  }

  @Test
  void deepCheckNeverOpensAFifoThatTarSplitCallsAFile() throws Exception {
    PlatformRequirements.require(
        PlatformRequirements.executable("mkfifo") != null, "mkfifo (coreutils)");
    try (LayerStore s = LayerStore.open(tmp.resolve("store"))) {
      ImageId id = two(s, tmp);
      Path f = s.driver().diff(WellFormedEdgesTest.cacheId(s, id, 0)).dir().resolve("etc/a");
      Files.delete(f);
      assertEquals(0, new ProcessBuilder("mkfifo", f.toString()).inheritIO().start().waitFor());
      CheckReport r =
          assertTimeoutPreemptively(
              Duration.ofSeconds(30), () -> s.check(CheckOptions.defaults().deep()));
      assertEquals(Kind.LAYER_CONTENT_MISMATCH, r.remaining().get(0).kind());
      assertTrue(r.remaining().get(0).detail().contains("etc/a"), r.remaining().get(0).detail());
    }
  }

  @Test
  void theCommandLineExitsZeroWhenCleanAndOneNamingTheLayerWhenNot() throws Exception {
    Path root = tmp.resolve("store");
    ImageId id;
    String cacheId;
    try (LayerStore s = LayerStore.open(root)) {
      id = two(s, tmp);
      cacheId = WellFormedEdgesTest.cacheId(s, id, 0);
    }
    CliRun clean = CliRun.run(root, "fsck", "--deep");
    assertEquals(0, clean.status(), clean.out());
    assertTrue(
        clean.out().contains("2 layers, 1 images, 1 references, every layer re-hashed: clean"),
        clean.out());
    Path a;
    ChainId layer;
    try (LayerStore s = LayerStore.open(root)) {
      a = s.driver().diff(cacheId).dir().resolve("etc/a");
      layer = s.image(id.toString()).chainIds().get(0);
    }
    Files.writeString(a, "alphA\n");
    CliRun broken = CliRun.run(root, "fsck", "--deep");
    assertEquals(1, broken.status(), broken.out());
    assertTrue(broken.out().contains("error layer-content-mismatch " + layer), broken.out());
    assertEquals(0, CliRun.run(root, "fsck").status(), "without --deep the metadata is consistent");
  }
}

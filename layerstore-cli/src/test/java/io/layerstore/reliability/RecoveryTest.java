package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.LayerStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery on open is safe while other processes work on the store: a staging directory a live
 * process claims is left alone (by open and by fsck), and removed once that process is dead.
 */
class RecoveryTest {

  @TempDir Path tmp;

  @Test
  void stagingOfALiveProcessIsLeftAloneAndCleanedOnceItIsDead() throws Exception {
    Path root = tmp.resolve("store");
    LayerStore.open(root).close();
    Process holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                StagingHolder.class.getName(),
                root.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      Path ws =
          Path.of(
              new BufferedReader(
                      new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
                  .readLine());
      assertTrue(Files.isDirectory(ws));
      try (LayerStore s = LayerStore.open(root)) {
        assertTrue(Files.isDirectory(ws), "open left the live staging directory alone");
        CheckReport r = s.check(CheckOptions.defaults().repair());
        assertEquals(
            List.of(), r.problems(), "fsck --repair does not count live work as an orphan");
        assertTrue(Files.isDirectory(ws));
      }
      holder.destroyForcibly();
      holder.waitFor();
      try (LayerStore s = LayerStore.open(root)) {
        assertFalse(Files.exists(ws), "once its process is dead, open removes it");
        assertTrue(s.check(CheckOptions.defaults()).isClean());
      }
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void stagingOfAnotherThreadIsLeftAloneToo() throws Exception {
    io.layerstore.testkit.PlatformRequirements.require(
        io.layerstore.testkit.PlatformRequirements.executable("mkfifo") != null,
        "mkfifo (coreutils)");
    Path root = tmp.resolve("store");
    Path fifo = tmp.resolve("layer.tar");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
    try (LayerStore s = LayerStore.open(root)) {
      // a layer being imported from a pipe that has not ended yet
      Thread importer =
          new Thread(
              () -> {
                try {
                  s.importLayer(fifo, "piped:1");
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      importer.start();
      Path tmpDir = root.resolve("image/overlay2/layerdb/tmp");
      try (java.io.OutputStream feed = Files.newOutputStream(fifo)) {
        feed.write(new RawLayer().file("a", "x".repeat(1000)).bytes());
        feed.flush();
        for (int i = 0; i < 500 && !hasWriteSet(tmpDir); i++) {
          Thread.sleep(10);
        }
        assertTrue(hasWriteSet(tmpDir));
        CheckReport r = s.check(CheckOptions.defaults().repair());
        assertEquals(List.of(), r.problems());
        assertTrue(hasWriteSet(tmpDir), "fsck --repair left another thread's staging alone");
        feed.write(new byte[1024]);
      }
      importer.join(30_000);
      assertFalse(hasWriteSet(tmpDir));
      assertEquals(List.of("piped:1"), s.images().get(0).repoTags());
    }
  }

  private static boolean hasWriteSet(Path dir) throws java.io.IOException {
    try (var ds = Files.newDirectoryStream(dir, "write-set-*")) {
      return ds.iterator().hasNext();
    }
  }
}

package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.LayerStore;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.PlatformRequirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent loads of images that share base layers extract each shared layer once: the second
 * loader waits on the layer's chain lock and then builds on the layer the first one published.
 * Measured from outside, by the bytes this process writes (Linux {@code /proc/self/io}): four
 * concurrent loads write about what one load writes plus the three small layers of their own.
 */
class SharedLayerLoadTest {

  @TempDir Path tmp;

  @Test
  void fourConcurrentLoadsExtractTheSharedBaseOnce() throws Exception {
    PlatformRequirements.require(Files.isReadable(Path.of("/proc/self/io")), "Linux /proc/self/io");
    byte[] big = new byte[24 << 20];
    new Random(1).nextBytes(big);
    List<Path> archives = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ImageArchiveBuilder b = new ImageArchiveBuilder().tag("shared" + i + ":1");
      b.layer().dir("base", 0755).file("base/blob", big, 0644);
      b.layer().dir("mid", 0755).file("mid/blob", java.util.Arrays.copyOf(big, 8 << 20), 0644);
      b.layer().file("own" + i, "image " + i + "\n", 0644);
      Path a = tmp.resolve("shared" + i + ".tar");
      b.write(a);
      archives.add(a);
    }
    long one;
    try (LayerStore s = LayerStore.open(tmp.resolve("one"))) {
      long w0 = writtenBytes();
      s.load(archives.get(0));
      one = writtenBytes() - w0;
    }
    long four;
    try (LayerStore s = LayerStore.open(tmp.resolve("four"))) {
      CountDownLatch go = new CountDownLatch(1);
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Thread> threads = new ArrayList<>();
      long w0 = writtenBytes();
      for (Path a : archives) {
        Thread t =
            new Thread(
                () -> {
                  try {
                    go.await();
                    s.load(a);
                  } catch (Throwable e) {
                    failures.add(e);
                  }
                });
        t.start();
        threads.add(t);
      }
      go.countDown();
      for (Thread t : threads) {
        t.join();
      }
      four = writtenBytes() - w0;
      assertEquals(List.of(), failures);
      assertEquals(4, s.images().size());
      CheckReport r = s.check(CheckOptions.defaults().deep());
      assertTrue(r.problems().isEmpty(), r.problems()::toString);
      assertEquals(2 + 4, r.layers(), "two shared layers and four of their own");
      assertEquals(
          6, s.driver().list().size(), "no second copy of a shared layer was left behind either");
    }
    System.err.println(
        "shared layers: one load wrote " + one + " bytes, four concurrent loads " + four);
    assertTrue(
        four < one * 1.5,
        "four loads wrote "
            + four
            + " bytes, one load "
            + one
            + ": the shared 32 MiB were extracted more than once");
  }

  /** Bytes this process has written through write(2) and friends ({@code wchar}). */
  private static long writtenBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
      if (line.startsWith("wchar:")) {
        return Long.parseLong(line.substring(6).trim());
      }
    }
    throw new IOException("no wchar in /proc/self/io");
  }
}

package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.PlatformRequirements;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store's kernel mounts with relative paths run on a thread of its own (its working directory is
 * unshared from the process's); closing the store ends that thread, so a program that opens and
 * closes stores does not collect one idle thread per store.
 */
class MountThreadTest {
  private static final String NAME = "layerstore-relative-mount";

  @TempDir Path tmp;

  private static Set<Thread> mountThreads() {
    Set<Thread> out = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals(NAME) && t.isAlive()) {
        out.add(t);
      }
    }
    return out;
  }

  @Test
  void closingTheStoreEndsItsMountThread() throws Exception {
    PlatformRequirements.requireKernelOverlay();
    Set<Thread> before = mountThreads();
    Set<Thread> ours;
    try (LayerStore store = LayerStore.builder(tmp.resolve("store")).driver("overlay2").open()) {
      // enough layers that the lower paths are given relative to overlay2/, as Docker does
      ImageArchiveBuilder b = new ImageArchiveBuilder().tag("threads:1");
      for (int i = 0; i < 125; i++) {
        b.layer().file("f" + i, "layer " + i + "\n", 0644);
      }
      b.write(tmp.resolve("image.tar"));
      String image = store.load(tmp.resolve("image.tar")).get(0).toString();
      try (Mount m = store.mount(image)) {
        assertTrue(m.path("/f124").toFile().isFile(), "the top layer's file shows");
      }
      ours = mountThreads();
      ours.removeAll(before);
      assertFalse(ours.isEmpty(), "the mount ran on a " + NAME + " thread of this store");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (Thread t : ours) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      assertFalse(t.isAlive(), "the store's mount thread ended with the store");
    }
  }
}

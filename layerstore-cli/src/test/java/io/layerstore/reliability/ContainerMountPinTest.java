package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.ConflictException;
import io.layerstore.LayerStore;
import io.layerstore.PlatformMode;
import io.layerstore.RemoveOptions;
import io.layerstore.container.Containers;
import io.layerstore.container.CreateOptions;
import io.layerstore.container.FileChange;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container mounted in-process by one process is pinned for all: an in-process union mount is in
 * no mount table, so without the pin another process would see the container unmounted and remove
 * its layers while it is written, even without forcing.
 */
class ContainerMountPinTest {

  @TempDir Path tmp;

  private LayerStore open(Path root) throws IOException {
    return LayerStore.builder(root).platform(PlatformMode.EMULATED).open();
  }

  @Test
  void aContainerMountedInAnotherProcessIsNotRemovedEvenWhenForced() throws Exception {
    Path dir = tmp.resolve("archives");
    ConcurrencyStressTest.images(dir);
    Path archive = StressWorker.archives(dir).get(2);
    Path root = tmp.resolve("store");
    try (LayerStore s = open(root)) {
      s.load(archive);
      s.containers().create("img2:1", CreateOptions.defaults().name("held"));
    }
    Process holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ContainerMountHolder.class.getName(),
                root.toString(),
                "held",
                "new-file")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (LayerStore s = open(root)) {
      Containers cs = s.containers();
      assertEquals(
          "mounted false",
          new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
              .readLine(),
          "an in-process union mount, invisible to the kernel");
      assertTrue(cs.isMounted("held"), "the other process's pin is seen");
      ConflictException plain =
          assertThrows(ConflictException.class, () -> cs.remove("held", RemoveOptions.defaults()));
      assertTrue(plain.getMessage().contains("mounted"), plain.getMessage());
      ConflictException forced =
          assertThrows(
              ConflictException.class, () -> cs.remove("held", RemoveOptions.defaults().force()));
      assertTrue(forced.getMessage().contains("another process"), forced.getMessage());
      assertEquals("held", cs.get("held").name(), "still there");
      assertEquals(
          List.of(new FileChange(FileChange.Kind.ADDED, "/new-file")),
          cs.changes("held"),
          "and so is what the other process wrote");

      holder.getOutputStream().close();
      assertEquals(0, holder.waitFor());
      assertFalse(cs.isMounted("held"), "the pin died with the mount");
      assertEquals("held", cs.remove("held", RemoveOptions.defaults()).name());
      assertEquals(List.of(), cs.list());
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void aForcedRemovalTakesThisProcesssOwnMount() throws Exception {
    Path dir = tmp.resolve("archives");
    ConcurrencyStressTest.images(dir);
    Path archive = StressWorker.archives(dir).get(2);
    try (LayerStore s = open(tmp.resolve("store"))) {
      s.load(archive);
      Containers cs = s.containers();
      cs.create("img2:1", CreateOptions.defaults().name("mine"));
      try (var m = cs.mount("mine")) {
        assertTrue(cs.isMounted("mine"));
        assertThrows(ConflictException.class, () -> cs.remove("mine", RemoveOptions.defaults()));
        cs.remove("mine", RemoveOptions.defaults().force());
        assertEquals(List.of(), cs.list());
      }
      assertEquals(1, s.remove("img2:1", RemoveOptions.defaults()).deleted().size());
    }
  }
}

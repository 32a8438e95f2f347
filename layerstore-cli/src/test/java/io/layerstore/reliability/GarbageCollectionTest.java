package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.ChainId;
import io.layerstore.CheckOptions;
import io.layerstore.ConflictException;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PruneOptions;
import io.layerstore.RemoveOptions;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarWriter;
import io.layerstore.testkit.ImageArchiveBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Removing an image releases exactly the layers nothing else uses; a layer in use — by another
 * image, a container, a mount, or a load building on it — is never removed; prune removes dangling
 * images and unused layers and says how many bytes it freed; an image with dependent children is
 * removed only when forced.
 */
class GarbageCollectionTest {

  @TempDir Path tmp;
  private List<Path> archives;

  @BeforeEach
  void images() throws IOException {
    Path dir = tmp.resolve("archives");
    ConcurrencyStressTest.images(dir);
    archives = StressWorker.archives(dir);
  }

  private static Set<String> layers(LayerStore s) throws IOException {
    Set<String> out = new HashSet<>();
    try (var ds = Files.newDirectoryStream(s.root().resolve("image/overlay2/layerdb/sha256"))) {
      ds.forEach(p -> out.add("sha256:" + p.getFileName()));
    }
    return out;
  }

  private static Set<String> chains(LayerStore s, ImageId id) throws IOException {
    Set<String> out = new HashSet<>();
    s.image(id.toString()).chainIds().forEach(c -> out.add(c.toString()));
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void removeReleasesExactlyTheLayersNothingElseUses(String where) throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore s = LayerStore.open(env.root)) {
      ImageId img2 = s.load(archives.get(2)).get(0); // b1 b2 m
      ImageId img5 = s.load(archives.get(5)).get(0); // b1 t5
      Set<String> keep = chains(s, img5);
      Set<String> gone = chains(s, img2);
      gone.removeAll(keep);
      assertEquals(2, gone.size());
      int dirs = s.driver().list().size();
      LayerStore.Removal r = s.remove("img2:1", RemoveOptions.defaults());
      assertEquals(List.of("img2:1"), r.untagged());
      assertEquals(List.of(img2), r.deleted());
      assertEquals(gone, new HashSet<>(r.layersDeleted().stream().map(ChainId::toString).toList()));
      assertEquals(keep, layers(s));
      assertEquals(dirs - 2, s.driver().list().size());
      assertTrue(s.check(CheckOptions.defaults().deep()).problems().isEmpty());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void aMountedImageIsNotRemovedEvenWhenForcedAndTheLayersItUsesStay(String where)
      throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore s = LayerStore.open(env.root)) {
      ImageId img3 = s.load(archives.get(3)).get(0); // b1 b2 m t3
      ImageId img2 = s.load(archives.get(2)).get(0); // b1 b2 m
      try (Mount m = s.mount(img2)) {
        ConflictException e =
            assertThrows(
                ConflictException.class,
                () -> s.remove(img2.toString(), RemoveOptions.defaults().force()));
        assertTrue(e.getMessage().contains("mounted"), e.getMessage());
        LayerStore.Removal r = s.remove("img3:1", RemoveOptions.defaults());
        assertEquals(1, r.layersDeleted().size(), "only t3; b1 b2 m are under the mount");
        assertEquals(chains(s, img2), layers(s));
        assertTrue(Files.isDirectory(m.root().resolve("app")));
      }
      assertEquals(3, s.remove("img2:1", RemoveOptions.defaults()).layersDeleted().size());
      assertEquals(Set.of(), layers(s));
      assertEquals(List.of(), s.driver().list());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void pruneRemovesDanglingImagesAndUnusedLayersAndReportsTheBytes(String where)
      throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore s = LayerStore.open(env.root)) {
      ImageId old = s.load(archives.get(3)).get(0); // img3:1 = b1 b2 m t3
      ImageId kept = s.load(archives.get(1)).get(0); // img1:1 = b1 b2
      // img3:1 moves to a new image: the old one is dangling
      ImageArchiveBuilder b = new ImageArchiveBuilder().tag("img3:1");
      b.layer().file("new", "x".repeat(5000), 0644);
      Path a = tmp.resolve("new.tar");
      b.write(a);
      ImageId fresh = s.load(a).get(0);
      assertEquals(3, s.images().size());
      assertTrue(s.images().stream().anyMatch(i -> i.id().equals(old) && i.repoTags().isEmpty()));
      Set<String> oldOnly = chains(s, old);
      oldOnly.removeAll(chains(s, kept));

      long sizes = 0;
      for (String c : oldOnly) {
        sizes +=
            Long.parseLong(
                Files.readString(
                    s.root()
                        .resolve("image/overlay2/layerdb/sha256/" + c.substring(7))
                        .resolve("size")));
      }

      LayerStore.Pruned p = s.prune(PruneOptions.defaults());
      assertEquals(List.of(old), p.images());
      assertEquals(oldOnly, new HashSet<>(p.layers().stream().map(ChainId::toString).toList()));
      assertTrue(sizes > 0);
      assertEquals(sizes, p.bytesFreed(), "the sizes of the layers removed");
      assertEquals(2, s.images().size());
      Set<String> left = chains(s, kept);
      left.addAll(chains(s, fresh));
      assertEquals(left, layers(s));
      assertEquals(
          new LayerStore.Pruned(List.of(), List.of(), 0),
          s.prune(PruneOptions.defaults().all()),
          "nothing left to prune");
      assertTrue(s.check(CheckOptions.defaults().deep()).problems().isEmpty());
    }
  }

  @Test
  void anImageWithChildrenIsRemovedOnlyWhenForced() throws IOException {
    byte[] l1 = new RawLayer().file("one", "1").end().bytes();
    byte[] l2 = new RawLayer().file("two", "2").end().bytes();
    String d1 = "\"sha256:" + Digest.of(l1).hex() + "\"";
    String d2 = "\"sha256:" + Digest.of(l2).hex() + "\"";
    byte[] parent =
        ("{\"os\":\"linux\",\"history\":[{\"created_by\":\"a\"}],\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + d1
                + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] child =
        ("{\"os\":\"linux\",\"history\":[{\"created_by\":\"a\"},{\"created_by\":\"b\"}],\"rootfs\":{\"type\":"
                + "\"layers\",\"diff_ids\":["
                + d1
                + ","
                + d2
                + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    ImageId parentId = ImageId.ofConfig(parent);
    Path archive = tmp.resolve("family.tar");
    try (OutputStream out = Files.newOutputStream(archive)) {
      TarWriter w = new TarWriter(out);
      member(w, "l1.tar", l1);
      member(w, "l2.tar", l2);
      member(w, "parent.json", parent);
      member(w, "child.json", child);
      member(
          w,
          "manifest.json",
          ("[{\"Config\":\"parent.json\",\"RepoTags\":[\"parent:1\"],\"Layers\":[\"l1.tar\"]},"
                  + "{\"Config\":\"child.json\",\"RepoTags\":[\"child:1\"],\"Layers\":[\"l1.tar\",\"l2.tar\"],\"Parent\":\""
                  + parentId
                  + "\"}]")
              .getBytes(StandardCharsets.UTF_8));
      w.finish();
    }
    try (LayerStore s = LayerStore.open(tmp.resolve("store"))) {
      List<ImageId> ids = s.load(archive);
      assertEquals(parentId, s.image("child:1").parent());
      ConflictException e =
          assertThrows(
              ConflictException.class,
              () -> s.remove(parentId.toString(), RemoveOptions.defaults()));
      assertTrue(e.getMessage().contains("dependent child images"), e.getMessage());
      assertEquals(2, s.images().size());
      LayerStore.Removal r = s.remove(parentId.toString(), RemoveOptions.defaults().force());
      assertEquals(List.of(parentId), r.deleted());
      assertEquals(List.of(), r.layersDeleted(), "the child still uses the parent's layer");
      assertEquals(ids.get(1), s.resolve("child:1"));
      assertEquals(
          null, s.image("child:1").parent(), "the child forgot its deleted parent, as in Docker");
      assertTrue(
          s.check(CheckOptions.defaults()).isClean(),
          s.check(CheckOptions.defaults()).problems()::toString);
    }
  }

  private static void member(TarWriter w, String name, byte[] data) throws IOException {
    w.putNextEntry(
        TarHeader.builder(name, TarHeader.REGULAR)
            .mode(0100644)
            .size(data.length)
            .mtime(Instant.EPOCH)
            .build());
    w.write(data, 0, data.length);
  }

  @ParameterizedTest
  @ValueSource(strings = {"disk", "jimfs"})
  void aContainerLayerKeepsTheImageLayersItSitsOn(String where) throws IOException {
    try (StoreEnv env = StoreEnv.of(where, tmp);
        LayerStore s = LayerStore.open(env.root)) {
      ImageId img2 = s.load(archives.get(2)).get(0);
      List<ChainId> chain = s.image(img2.toString()).chainIds();
      String top = WellFormedEdgesTest.cacheId(s, img2, chain.size() - 1);
      // a container on img2, recorded the way Docker records it
      String mountId = "c0".repeat(32);
      s.driver().create(mountId + "-init", top);
      s.driver().create(mountId, mountId + "-init");
      Path record = env.root.resolve("image/overlay2/layerdb/mounts/" + "77".repeat(32));
      Files.createDirectories(record);
      Files.writeString(record.resolve("mount-id"), mountId);
      Files.writeString(record.resolve("init-id"), mountId + "-init");
      Files.writeString(record.resolve("parent"), chain.get(chain.size() - 1).toString());

      assertTrue(
          s.check(CheckOptions.defaults()).problems().isEmpty(),
          "the container's driver layers are recorded");
      ConflictException e =
          assertThrows(
              ConflictException.class, () -> s.remove("img2:1", RemoveOptions.defaults().force()));
      assertTrue(e.getMessage().contains("used by container"), e.getMessage());
      // untagged, the image is not dangling while a container sits on it; nor are its layers unused
      Files.writeString(
          env.root.resolve("image/overlay2/repositories.json"), "{\"Repositories\":{}}");
      LayerStore.Pruned p = s.prune(PruneOptions.defaults().all());
      assertEquals(List.of(), p.images());
      assertEquals(List.of(), p.layers());
      assertEquals(3, layers(s).size());
      assertTrue(
          s.check(CheckOptions.defaults()).problems().isEmpty(),
          s.check(CheckOptions.defaults()).problems()::toString);

      // once the container is gone, nothing uses them
      s.driver().remove(mountId);
      s.driver().remove(mountId + "-init");
      for (String f : List.of("mount-id", "init-id", "parent")) {
        Files.delete(record.resolve(f));
      }
      Files.delete(record);
      LayerStore.Pruned p2 = s.prune(PruneOptions.defaults());
      assertEquals(List.of(img2), p2.images());
      assertEquals(3, p2.layers().size());
      assertEquals(List.of(), s.driver().list());
    }
  }

  @Test
  void aLayerPinnedByARunningLoadInAnotherProcessIsNotRemoved() throws Exception {
    Path root = tmp.resolve("store");
    ImageId img1;
    ChainId top;
    try (LayerStore s = LayerStore.open(root)) {
      img1 = s.load(archives.get(1)).get(0); // b1 b2
      top = s.image(img1.toString()).chainIds().get(1);
    }
    Process pinner =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ChainPinner.class.getName(),
                root.toString(),
                top.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (LayerStore s = LayerStore.open(root)) {
      assertEquals(
          "pinned",
          new BufferedReader(new InputStreamReader(pinner.getInputStream(), StandardCharsets.UTF_8))
              .readLine());
      LayerStore.Removal r = s.remove("img1:1", RemoveOptions.defaults());
      assertEquals(List.of(img1), r.deleted());
      assertEquals(
          List.of(), r.layersDeleted(), "the top layer is pinned, and the base is its parent");
      assertEquals(2, layers(s).size());
      pinner.getOutputStream().close();
      pinner.waitFor();
      assertEquals(
          2, s.prune(PruneOptions.defaults()).layers().size(), "unpinned, nothing uses them");
      assertEquals(List.of(), s.driver().list());
    } finally {
      pinner.destroyForcibly();
    }
  }

  @Test
  void anInProcessMountInAnotherProcessKeepsTheImageAndItsLayers() throws Exception {
    Path root = tmp.resolve("store");
    try (LayerStore s =
        LayerStore.builder(root).platform(io.layerstore.PlatformMode.EMULATED).open()) {
      s.load(archives.get(2));
    }
    Process holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                MountHolder.class.getName(),
                root.toString(),
                "img2:1",
                "app/mod3")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (LayerStore s =
        LayerStore.builder(root).platform(io.layerstore.PlatformMode.EMULATED).open()) {
      assertEquals(
          "mounted false",
          new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
              .readLine(),
          "an in-process union view, invisible to the kernel");
      ImageId id = s.resolve("img2:1");
      assertTrue(s.isMounted(id));
      ConflictException e =
          assertThrows(
              ConflictException.class, () -> s.remove("img2:1", RemoveOptions.defaults().force()));
      assertTrue(e.getMessage().contains("mounted"), e.getMessage());
      assertEquals(List.of(), s.prune(PruneOptions.defaults().all()).layers());
      holder.getOutputStream().close();
      holder.waitFor();
      assertFalse(s.isMounted(id));
      assertEquals(3, s.remove("img2:1", RemoveOptions.defaults()).layersDeleted().size());
    } finally {
      holder.destroyForcibly();
    }
  }
}

package io.layerstore.aufs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.ConflictException;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import io.layerstore.Mount;
import io.layerstore.RemoveOptions;
import io.layerstore.container.CreateOptions;
import io.layerstore.testkit.Backing;
import io.layerstore.testkit.DriverSandbox;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RootfsManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On a real disk where the kernel has no aufs (every mainline kernel, this one included), a
 * read-only mount that must outlive the process — what {@code layerstore mount} asks for — is left
 * behind as a copy of the merged tree at {@code mnt/<id>}: what other programs read there is what
 * the kernel mount would show, it counts as mounted for every process until unmounted, and
 * unmounting leaves the mount point empty, as Docker keeps it.
 */
class AufsCopyMountTest {

  private DriverSandbox sandbox;

  @BeforeEach
  void open() throws IOException {
    PlatformRequirements.require(
        PlatformRequirements.isLinuxRoot(), "Linux and root (a native platform)");
    PlatformRequirements.require(Files.isRegularFile(Fixtures.fxMultiArchive()), "the fixture");
    sandbox = DriverSandbox.create("aufs", Backing.DISK, Map.of());
  }

  @AfterEach
  void close() throws IOException {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static List<String> pythonListing(Path dir) throws Exception {
    Path python = PlatformRequirements.requireExecutable("python3", "python3");
    Process p =
        new ProcessBuilder(
                python.toString(), Fixtures.rootfsManifestScript().toString(), dir.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, p.exitValue());
    return List.of(out.split("\n"));
  }

  @Test
  void aLeftMountIsACopyOtherProgramsRead() throws Exception {
    LayerStore store = sandbox.store();
    ImageId id = store.load(Fixtures.fxMultiArchive()).get(0);
    String top = store.image(id.toString()).chainIds().get(4).digest().hex();
    String cacheId =
        Files.readString(
            sandbox
                .dataRoot()
                .resolve("image/aufs/layerdb/sha256")
                .resolve(top)
                .resolve("cache-id"));
    Path mnt = sandbox.dataRoot().resolve("aufs/mnt").resolve(cacheId);
    AufsDriver driver = (AufsDriver) sandbox.driver();
    PlatformRequirements.require(
        !driver.usesKernel(), "a kernel without aufs (with aufs this is a kernel mount)");

    Mount m = store.mount(id);
    assertFalse(m.isKernelMount());
    m.leaveMounted();
    assertEquals(mnt, m.root(), "the copy is where the kernel would mount");
    m.close(); // does nothing now
    assertTrue(store.isMounted(id));
    List<String> expected = RootfsManifest.read(Fixtures.fxMultiManifest(), true);
    assertEquals(expected, pythonListing(mnt));
    assertEquals(expected, RootfsManifest.of(mnt, true));

    // another store on the same root (as another process would open it) sees it mounted
    try (LayerStore other = sandbox.storeBuilder().open()) {
      assertTrue(other.isMounted(id));
      ConflictException busy =
          assertThrows(
              ConflictException.class,
              () -> other.remove(id.toString(), RemoveOptions.defaults().force()));
      assertTrue(busy.getMessage().contains("mounted"), busy.getMessage());
      try (Mount again = other.mount(id)) {
        again.leaveMounted();
        assertEquals(mnt, again.root(), "a second left mount reuses the copy");
      }
      assertTrue(other.unmount(id));
      assertTrue(other.isMounted(id), "left twice, counted: the first unmount leaves the copy");
      assertTrue(Files.isDirectory(mnt.resolve("etc")));
      assertTrue(other.unmount(id));
      assertFalse(other.isMounted(id));
      assertFalse(other.unmount(id), "no count left to give back");
    }
    assertFalse(store.isMounted(id));
    try (var s = Files.list(mnt)) {
      assertEquals(List.of(), s.toList(), "unmount empties the mount point and keeps it");
    }
    store.remove(id.toString(), RemoveOptions.defaults());
    assertFalse(Files.exists(mnt), "the layer's mount point went with it");
  }

  @Test
  void aWritableInProcessMountCannotBeLeftBehind() throws Exception {
    LayerStore store = sandbox.store();
    store.load(Fixtures.fxMultiArchive());
    var c = store.containers().create("fx:multi", CreateOptions.defaults());
    try (Mount m = store.containers().mount(c.id().toString())) {
      assertTrue(m.isWritable());
      LayerStoreException e = assertThrows(LayerStoreException.class, m::leaveMounted);
      assertTrue(e.getMessage().contains("cannot outlive this process"), e.getMessage());
    }
  }
}

package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.Container;
import io.layerstore.container.CreateOptions;
import io.layerstore.container.FileChange;
import io.layerstore.testkit.ContainerSteps;
import io.layerstore.testkit.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Containers are driver-agnostic: the same steps on an aufs store and on an overlay2 store (both on
 * jimfs, through the in-process union) give the same changes, the same export, and a committed
 * layer with the same content, although the two drivers keep whiteouts differently on disk. The
 * layer tars themselves differ as Docker's do: aufs's diff is its rw branch as it lies on disk, so
 * a {@code .wh.} file sorts by its own name and keeps its own mode; overlay2's native diff writes a
 * whiteout where the deleted name sorts, mode 0600.
 */
class ContainersAcrossDriversTest {

  private record Outcome(
      List<String> changes, List<String> layer, List<String> exported, List<String> image) {}

  private Outcome run(String driver) throws IOException {
    try (FileSystem fs =
        Jimfs.newFileSystem(
            Configuration.unix().toBuilder()
                .setAttributeViews("basic", "owner", "posix", "unix", "user")
                .build())) {
      Path archive = fs.getPath("/fx-multi.tar");
      Files.copy(Fixtures.fxMultiArchive(), archive);
      try (LayerStore store = LayerStore.builder(fs.getPath("/store")).driver(driver).open()) {
        assertEquals(driver, store.driverName());
        store.load(archive);
        Container c = store.containers().create("fx:multi", CreateOptions.defaults());
        try (Mount m = store.containers().mount(c.name())) {
          ContainerSteps.run(m.root());
        }
        List<String> changes = new ArrayList<>();
        for (FileChange ch : store.containers().changes(c.name())) {
          changes.add(ch.toString());
        }
        store.containers().commit(c.name(), CommitOptions.defaults().reference("fx:" + driver));
        ByteArrayOutputStream save = new ByteArrayOutputStream();
        store.save(List.of("fx:" + driver), save);
        ByteArrayOutputStream export = new ByteArrayOutputStream();
        store.containers().export(c.name(), export);
        List<String> exported =
            io.layerstore.testkit.TarListing.of(
                new java.io.ByteArrayInputStream(export.toByteArray()), false, x -> true);
        Container fromImage = store.containers().create("fx:" + driver, CreateOptions.defaults());
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        store.containers().export(fromImage.name(), image);
        return new Outcome(
            changes,
            ContainerOracleTest.lastLayer(save.toByteArray()),
            exported,
            io.layerstore.testkit.TarListing.of(
                new java.io.ByteArrayInputStream(image.toByteArray()), false, x -> true));
      }
    }
  }

  @Test
  void aufsAndOverlay2GiveTheSameChangesCommitAndExport() throws IOException {
    Outcome overlay = run("overlay2");
    Outcome aufs = run("aufs");
    assertTrue(overlay.changes().contains("D /usr/share/doc"), overlay.changes().toString());
    assertEquals(String.join("\n", overlay.changes()), String.join("\n", aufs.changes()));
    assertEquals(String.join("\n", overlay.exported()), String.join("\n", aufs.exported()));
    assertEquals(names(overlay.layer()), names(aufs.layer()), "the same members");
    assertEquals(
        String.join("\n", overlay.image()),
        String.join("\n", aufs.image()),
        "the committed images hold the same");
  }

  private static java.util.TreeSet<String> names(List<String> lines) {
    java.util.TreeSet<String> out = new java.util.TreeSet<>();
    lines.forEach(l -> out.add(l.substring(0, l.indexOf(' '))));
    return out;
  }
}

package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.ImageSummary;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.PlatformMode;
import io.layerstore.testkit.PlatformRequirements;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every hostile or broken input of the corpus, through the public API, on a real disk (native
 * platform when run as root) and on jimfs: it fails with its own exception naming the input, the
 * entry and the reason; the store's full listing is what it was; the canary directory beside the
 * store is untouched; the store still holds its image.
 */
class HostileInputTest {

  enum Via {
    LOAD,
    IMPORT
  }

  @TempDir Path tmp;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (HostileCorpus.Case c : HostileCorpus.cases()) {
      out.add(Arguments.of(c, Via.LOAD));
      if (c.shape() == HostileCorpus.Shape.LAYER) {
        out.add(Arguments.of(c, Via.IMPORT));
      }
    }
    return out.stream();
  }

  /** Where the generated inputs are kept for a person to look at. */
  private static Path corpusDir(String env) {
    return Path.of("target", "hostile-corpus", env).toAbsolutePath();
  }

  @ParameterizedTest(name = "{0} via {1}")
  @MethodSource("cases")
  void onDisk(HostileCorpus.Case c, Via via) throws IOException {
    Path canary = makeCanary(tmp.resolve("canary"));
    Path root = tmp.resolve("store");
    run(
        new HostileCorpus.Env("disk", canary.toString()),
        root,
        canary,
        corpusDir("disk"),
        c,
        via,
        true);
  }

  @ParameterizedTest(name = "{0} via {1}")
  @MethodSource("cases")
  void onJimfs(HostileCorpus.Case c, Via via) throws IOException {
    try (FileSystem fs =
        Jimfs.newFileSystem(
            Configuration.unix().toBuilder()
                .setAttributeViews("basic", "owner", "posix", "unix")
                .build())) {
      Path canary = makeCanary(fs.getPath("/canary"));
      run(
          new HostileCorpus.Env("jimfs", "/canary"),
          fs.getPath("/store"),
          canary,
          corpusDir("jimfs"),
          c,
          via,
          false);
    }
  }

  static Path makeCanary(Path canary) throws IOException {
    Files.createDirectories(canary.resolve("sub"));
    Files.writeString(canary.resolve("keep"), "the canary: nothing may change it\n");
    Files.writeString(canary.resolve("sub/keep"), "below\n");
    return canary;
  }

  private static void run(
      HostileCorpus.Env env,
      Path root,
      Path canary,
      Path corpus,
      HostileCorpus.Case c,
      Via via,
      boolean disk)
      throws IOException {
    byte[] base = HostileCorpus.baseLayer(env);
    Path baseArchive =
        new SaveArchive().layer(base).tag("base:1").write(corpus.resolve("base.docker.tar"));
    Path input = input(env, corpus, c, via, base);

    LayerStore.Builder b = LayerStore.builder(root);
    c.options().accept(b);
    try (LayerStore store = b.open()) {
      if (disk && PlatformRequirements.required()) {
        assertTrue(
            store.platform() == PlatformMode.NATIVE,
            "CI runs the disk cases on the native platform (root)");
      }
      store.load(baseArchive);
      Map<String, String> before = listing(root);
      Map<String, String> canaryBefore = TreeSnapshot.all(canary);

      Exception caught = null;
      try {
        if (via == Via.LOAD) {
          store.load(input);
        } else {
          store.importLayer(input, "hostile:1");
        }
      } catch (Exception e) {
        caught = e;
      }
      assertNotNull(caught, c.name() + " was accepted");
      Exception thrown = caught;
      assertEquals(
          c.expected(), thrown.getClass(), () -> c.name() + ": wrong exception " + stack(thrown));
      String message = thrown.getMessage();
      assertTrue(
          message.contains(input.getFileName().toString()),
          () -> "the message names the input: " + message);
      assertTrue(
          message.contains(c.reason()),
          () -> "the message gives the reason \"" + c.reason() + "\": " + message);
      if (thrown instanceof InvalidArchiveException x) {
        String entry = HostileCorpus.expectedEntry(c, env);
        if (!"*".equals(entry)) {
          assertEquals(entry, x.entry(), () -> "the entry named by: " + message);
        } else {
          assertNotNull(x.entry(), () -> "an entry is named: " + message);
        }
      }
      assertEquals(before, listing(root), c.name() + " changed the store (lock files included)");
      assertEquals(
          canaryBefore,
          TreeSnapshot.all(canary),
          c.name() + " changed the canary outside the store");
      List<ImageSummary> images = store.images();
      assertEquals(1, images.size());
      assertEquals(List.of("base:1"), images.get(0).repoTags());
    }
    try (LayerStore again = LayerStore.builder(root).open()) {
      assertEquals(1, again.images().size(), "the store opens again with its image");
    }
  }

  /**
   * The store's full listing, lock files included: a refused input must not even leave the lock of
   * a layer it never stored. Directory times are left out (a staging directory made and removed
   * again touches its parent's).
   */
  private static Map<String, String> listing(Path root) throws IOException {
    return TreeSnapshot.of(root, rel -> false, false);
  }

  private static Path input(
      HostileCorpus.Env env, Path corpus, HostileCorpus.Case c, Via via, byte[] base)
      throws IOException {
    Files.createDirectories(corpus);
    switch (c.shape()) {
      case LAYER:
        if (via == Via.IMPORT) {
          Path f = corpus.resolve(c.name() + ".layer.tar");
          Files.write(f, c.layer().apply(env));
          return f;
        }
        return new SaveArchive()
            .layer(c.layer().apply(env))
            .tag("hostile:1")
            .write(corpus.resolve(c.name() + ".docker.tar"));
      case LOWER:
        return new SaveArchive()
            .layer(base)
            .layer(c.layer().apply(env))
            .tag("hostile:1")
            .write(corpus.resolve(c.name() + ".docker.tar"));
      case ARCHIVE:
      default:
        return c.archive().make(env, base).write(corpus.resolve(c.name() + ".docker.tar"));
    }
  }

  private static String stack(Throwable t) {
    java.io.StringWriter w = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }
}

package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.PushOptions;
import io.layerstore.RegistryOptions;
import io.layerstore.TransferEvent;
import io.layerstore.build.ImageSettings;
import io.layerstore.build.LayerSpec;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's acceptance with a loopback registry: an image built in two stores, with the sources'
 * mtimes and owners changed in between, pushes to the same manifest digest; the push uploads the
 * gzip blob the build kept (the layer is not compressed again: a push that had to rebuild it from
 * the store would fail here, its directory having been damaged on purpose); a private dockerd pulls
 * the push and runs the entrypoint.
 */
class BuildPushTest {

  @TempDir Path tmp;

  private LayerStore open(String name) throws IOException {
    return LayerStore.builder(tmp.resolve(name))
        .durable(false)
        .registry(RegistryOptions.builder().dockerConfigDir(tmp.resolve("docker-config")).build())
        .open();
  }

  private static ImageId build(LayerStore store, Path app) throws IOException {
    store.load(Fixtures.fxMultiArchive());
    return store
        .build("fx:multi")
        .addLayer(LayerSpec.builder().name("app").mode(0755).addDirectory(app, "/app").build())
        .config(
            ImageSettings.builder()
                .entrypoint(List.of("/app/hello.sh"))
                .cmd(List.of("registry"))
                .build())
        .tag("hello:1");
  }

  @Test
  void twoStoresPushTheSameManifestAndDockerdPullsAndRunsIt() throws Exception {
    PlatformRequirements.requireExecutable(RegistryServer.PROGRAM, "docker-registry");
    Path app = Files.createDirectories(tmp.resolve("src/app"));
    Files.writeString(app.resolve("hello.sh"), "#!/bin/sh\necho \"hello from the $1\"\n");
    try (RegistryServer registry = RegistryServer.plain(tmp)) {
      String first = registry.hostPort() + "/built/hello:a";
      String second = registry.hostPort() + "/built/hello:b";
      Digest a;
      List<TransferEvent> events = Collections.synchronizedList(new ArrayList<>());
      try (LayerStore store = open("a")) {
        ImageId id = build(store, app);
        store.tag(id.toString(), first);
        // damage the built layer's directory: only the kept blob can push it now
        Path upper = Path.of(store.image(first).driverData().get("UpperDir"));
        Files.delete(upper.resolve("app/hello.sh"));
        a = store.push(first, PushOptions.defaults().listener(events::add));
      }
      assertTrue(
          events.stream().anyMatch(e -> e.kind() == TransferEvent.Kind.PUSHED), events.toString());

      try (Stream<Path> all = Files.walk(app.getParent())) {
        for (Path p : all.toList()) {
          Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2031-05-06T07:08:09Z")));
          if (PlatformRequirements.isLinuxRoot()) {
            Files.setAttribute(p, "unix:uid", 4242, LinkOption.NOFOLLOW_LINKS);
          }
        }
      }
      try (LayerStore store = open("b")) {
        ImageId id = build(store, app);
        store.tag(id.toString(), second);
        assertEquals(a, store.push(second, PushOptions.defaults()), "the same manifest digest");
      }

      PlatformRequirements.requireKernelOverlay();
      PlatformRequirements.require(
          PrivateDocker.available(), "a dockerd binary (Debian package docker.io)");
      try (PrivateDocker docker = PrivateDocker.start(tmp.resolve("d"))) {
        PrivateDocker.Result pull = docker.docker("pull", first);
        assertEquals(0, pull.exitCode(), pull.out());
        assertTrue(pull.out().contains(a.toString()), pull.out());
        PrivateDocker.Result run = docker.docker("run", "--rm", "--network", "none", first);
        assertEquals(0, run.exitCode(), run.out());
        assertEquals("hello from the registry", run.out().strip());
      }
    }
  }
}

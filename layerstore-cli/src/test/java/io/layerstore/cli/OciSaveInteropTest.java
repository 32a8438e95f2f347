package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RootfsManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading our {@code save --format oci} with the real tools (issue "OCI image layouts", acceptance
 * "Reading our save"): skopeo copies it to a docker-archive that a private dockerd 20.10 loads with
 * fx-multi's image id; dockerd 20.10 loads our file itself (through its {@code manifest.json}) with
 * the same id and tag; {@code umoci unpack} makes fx-multi's rootfs from the layout, listing for
 * listing. Uncompressed and gzip everywhere; zstd where the reader has it: dockerd reads it, skopeo
 * 1.9 copies it between OCI layouts (checking every digest) but will not convert it to a
 * docker-archive, and umoci 0.4 has no zstd.
 */
class OciSaveInteropTest {

  @TempDir Path tmp;

  /** Runs our CLI on the store in {@code tmp/root}, which holds fx-multi. */
  private void layerstore(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("--root", tmp.resolve("root").toString()));
    all.addAll(List.of(args));
    int status =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(all.toArray(String[]::new));
    assertEquals(0, status, String.join(" ", args) + ": " + out.toString(StandardCharsets.UTF_8));
  }

  @BeforeEach
  void loadFxMulti() {
    layerstore("load", "-i", Fixtures.fxMultiArchive().toString());
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    return out;
  }

  /** Saves fx:multi as an OCI layout with {@code --compress c} ("none" for the default). */
  private Path save(String format, String c) {
    Path out = tmp.resolve(format + "-" + c + (format.equals("oci") ? ".tar" : ""));
    List<String> args = new ArrayList<>(List.of("save", "--format", format, "-o", out.toString()));
    if (!c.equals("none")) {
      args.addAll(List.of("--compress", c));
    }
    args.add("fx:multi");
    layerstore(args.toArray(String[]::new));
    return out;
  }

  private static void assertLoaded(PrivateDocker d, Path archive, String what) throws Exception {
    PrivateDocker.Result load = d.docker("load", "-i", archive.toString());
    assertEquals(0, load.exitCode(), what + ": " + load.out());
    PrivateDocker.Result id =
        d.docker("image", "inspect", "--format", "{{.Id}} {{.RepoTags}}", "fx:multi");
    assertEquals(Fixtures.FX_MULTI_ID + " [fx:multi]", id.out().strip(), what);
    PrivateDocker.Result rmi = d.docker("rmi", "fx:multi");
    assertEquals(0, rmi.exitCode(), what + ": " + rmi.out());
  }

  @Test
  void skopeoAndDockerdReadOurOciSave() throws Exception {
    PlatformRequirements.requireKernelOverlay();
    PlatformRequirements.require(
        PrivateDocker.available(), "a dockerd binary (Debian package docker.io)");
    Path skopeo = PlatformRequirements.requireExecutable("skopeo", "skopeo");
    List<Path> viaSkopeo = new ArrayList<>();
    for (String c : List.of("none", "gzip")) {
      Path ours = save("oci", c);
      Path x = tmp.resolve("skopeo-" + c + ".tar");
      run(
          skopeo.toString(),
          "copy",
          "-q",
          "oci-archive:" + ours,
          "docker-archive:" + x + ":fx:multi");
      viaSkopeo.add(x);
    }
    // zstd: skopeo reads and verifies it (an OCI-to-OCI copy checks every blob's digest)
    Path zstd = save("oci", "zstd");
    Path copied = tmp.resolve("skopeo-zstd-layout");
    run(skopeo.toString(), "copy", "-q", "oci-archive:" + zstd, "oci:" + copied + ":multi");
    assertTrue(Files.readString(copied.resolve("index.json")).contains("\"multi\""));

    try (PrivateDocker d = PrivateDocker.start(tmp.resolve("d"))) {
      for (Path x : viaSkopeo) {
        assertLoaded(d, x, "skopeo's docker-archive of our " + x.getFileName());
      }
      for (String c : List.of("none", "gzip")) {
        assertLoaded(d, tmp.resolve("oci-" + c + ".tar"), "our OCI save, " + c);
      }
      PrivateDocker.Result load = d.docker("load", "-i", zstd.toString());
      assertTrue(
          load.exitCode() != 0 && load.out().contains("invalid tar header"),
          "dockerd 20.10 has no zstd in load; now it does? " + load.out());
    }
  }

  @Test
  void umociUnpacksOurLayoutToFxMultisRootfs() throws Exception {
    PlatformRequirements.require(
        PlatformRequirements.isLinuxRoot(), "root (umoci keeps owners and device nodes as root)");
    Path umoci = PlatformRequirements.requireExecutable("umoci", "umoci");
    List<String> expected = RootfsManifest.read(Fixtures.fxMultiManifest(), true);
    for (String c : List.of("none", "gzip")) {
      Path layout = save("oci-dir", c);
      Path bundle = tmp.resolve("bundle-" + c);
      run(umoci.toString(), "unpack", "--image", layout + ":multi", bundle.toString());
      assertEquals(expected, RootfsManifest.of(bundle.resolve("rootfs"), true), c);
    }
  }
}

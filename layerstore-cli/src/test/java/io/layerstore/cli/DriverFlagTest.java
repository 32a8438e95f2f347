package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.PlatformRequirements;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code layerstore --driver aufs} for every command, on Docker's reference image, and the driver a
 * store keeps once it has layers.
 */
class DriverFlagTest {

  @TempDir Path tmp;
  private Path root;
  private Path fx;

  /** What one run printed. */
  record Run(int status, String out, String err) {}

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))
            .run(args);
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Run ok(String... args) {
    Run r = run(args);
    assertEquals(0, r.status(), String.join(" ", args) + ": " + r.err());
    return r;
  }

  @BeforeEach
  void setUp() {
    root = tmp.resolve("store");
    fx = Fixtures.fxMultiArchive();
    PlatformRequirements.require(Files.isRegularFile(fx), "the fixture " + fx);
  }

  @Test
  void everyCommandWorksWithAufs() throws Exception {
    String r = root.toString();
    assertEquals(
        "Loaded image: fx:multi\n",
        ok("--root", r, "--driver", "aufs", "load", "-i", fx.toString()).out());
    assertTrue(Files.isDirectory(root.resolve("aufs/layers")));
    assertTrue(Files.isDirectory(root.resolve("image/aufs/layerdb/sha256")));
    assertFalse(Files.exists(root.resolve("overlay2")));

    assertTrue(ok("--root", r, "--driver", "aufs", "images").out().contains("fx "));
    JsonNode inspect =
        new ObjectMapper()
            .readTree(ok("--root", r, "--driver", "aufs", "inspect", "fx:multi").out());
    assertEquals("aufs", inspect.get(0).get("GraphDriver").get("Name").asText());
    assertEquals(Fixtures.FX_MULTI_ID, inspect.get(0).get("Id").asText());

    JsonNode mount =
        new ObjectMapper()
            .readTree(ok("--root", r, "--driver", "aufs", "inspect", "--mount", "fx:multi").out())
            .get(0);
    assertEquals("aufs", mount.get("Driver").asText());
    assertEquals(5, mount.get("Branches").size());
    for (JsonNode b : mount.get("Branches")) {
      assertEquals("ro+wh", b.get("Permission").asText());
      assertEquals(64 + b.get("Index").asInt(), b.get("BranchId").asInt());
      assertTrue(Files.isDirectory(Path.of(b.get("Path").asText())), b.toString());
      assertTrue(b.get("Path").asText().startsWith(root.resolve("aufs/diff").toString() + "/"));
    }
    assertEquals("/dev/shm/aufs.xino", mount.get("XinoPath").asText());
    assertTrue(
        mount.get("Temporary").asBoolean(), "not mounted before, so mounted for the command");

    Path saved = tmp.resolve("saved.tar");
    ok("--root", r, "--driver", "aufs", "save", "-o", saved.toString(), "fx:multi");
    assertArrayEquals(
        Files.readAllBytes(fx), Files.readAllBytes(saved), "save is byte for byte docker save");

    ok("--root", r, "--driver", "aufs", "tag", "fx:multi", "kit/again:1");
    assertTrue(ok("--root", r, "--driver", "aufs", "images").out().contains("kit/again"));
    assertTrue(
        ok("--root", r, "--driver", "aufs", "rmi", "kit/again:1")
            .out()
            .contains("Untagged: kit/again:1"));

    ImageArchiveBuilder b = new ImageArchiveBuilder();
    b.layer().dir("etc", 0755).file("etc/imported", "yes\n", 0644);
    Path layer = tmp.resolve("layer.tar");
    Files.write(layer, b.layerTars().get(0));
    ok("--root", r, "--driver", "aufs", "import", layer.toString(), "kit/imported:1");

    Run mounted = run("--root", r, "--driver", "aufs", "mount", "fx:multi");
    // Without root the command must refuse; but under requirePlatform (CI) a machine without root
    // fails here rather than quietly checking only the refusal.
    boolean asRoot = PlatformRequirements.isLinuxRoot();
    PlatformRequirements.require(
        asRoot || !PlatformRequirements.required(),
        "Linux and root, to keep an aufs mount (or its copy) after the command");
    if (asRoot) {
      // A kernel with aufs mounts; one without (this one) leaves the read-only mount behind as a
      // copy at the same place. Either way it outlives the command, and other programs read it.
      assertEquals(0, mounted.status(), mounted.err());
      Path at = Path.of(mounted.out().strip());
      assertEquals(
          root.resolve("aufs/mnt").resolve(mount.get("MountPoint").asText().replaceAll(".*/", "")),
          at);
      Path python = PlatformRequirements.requireExecutable("python3", "python3");
      Process p =
          new ProcessBuilder(
                  python.toString(), Fixtures.rootfsManifestScript().toString(), at.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES));
      assertEquals(0, p.exitValue());
      assertEquals(
          Files.readString(Fixtures.fxMultiManifest()),
          listing,
          "rootfs-manifest.py of the aufs mount");
      assertEquals(
          at + "\n",
          ok("--root", r, "--driver", "aufs", "mount", "fx:multi").out(),
          "a second mount: same place");

      Run busy = run("--root", r, "--driver", "aufs", "rmi", "-f", "fx:multi");
      assertEquals(1, busy.status(), busy.out());
      assertTrue(busy.err().contains("mounted"), busy.err());
      ok("--root", r, "--driver", "aufs", "umount", "fx:multi");
      assertTrue(Files.isDirectory(at.resolve("etc")), "mounted twice: one umount leaves the copy");
      ok("--root", r, "--driver", "aufs", "umount", "fx:multi");
      try (var s = Files.list(at)) {
        assertEquals(
            List.of(), s.toList(), "umount leaves the mount point empty, as Docker keeps it");
      }
    } else {
      assertEquals(1, mounted.status());
      assertTrue(
          mounted.err().contains("in-process mount cannot outlive this process"), mounted.err());
    }
    Run umount = run("--root", r, "--driver", "aufs", "umount", "fx:multi");
    assertEquals(1, umount.status());
    assertTrue(umount.err().contains("is not mounted"), umount.err());

    Run rmi = ok("--root", r, "--driver", "aufs", "rmi", "fx:multi", "kit/imported:1");
    assertTrue(rmi.out().contains("Deleted: " + Fixtures.FX_MULTI_ID), rmi.out());
    try (var s = Files.list(root.resolve("aufs/layers"))) {
      assertEquals(List.of(), s.toList(), "every layer went with its image");
    }
  }

  @Test
  void aStoreKeepsItsDriver() throws IOException {
    String r = root.toString();
    ok("--root", r, "--driver", "aufs", "load", "-i", fx.toString());
    Run wrong = run("--root", r, "--driver", "overlay2", "images");
    assertEquals(1, wrong.status());
    assertTrue(wrong.err().contains("holds layers of driver aufs"), wrong.err());
    assertFalse(Files.exists(root.resolve("overlay2")), "nothing was made for overlay2");
    assertFalse(Files.exists(root.resolve("image/overlay2")));
    JsonNode inspect = new ObjectMapper().readTree(ok("--root", r, "inspect", "fx:multi").out());
    assertEquals(
        "aufs",
        inspect.get(0).get("GraphDriver").get("Name").asText(),
        "no --driver: the store's own");
  }

  @Test
  void inspectMountNeedsADriverThatListsBranches() {
    String r = root.toString();
    ok("--root", r, "load", "-i", fx.toString());
    Run run = run("--root", r, "inspect", "--mount", "fx:multi");
    assertEquals(1, run.status());
    assertTrue(run.err().contains("overlay2 driver has no branch list"), run.err());
  }

  @Test
  void demoRunsWithAufs() {
    Run demo = run("--root", root.toString(), "--driver", "aufs", "demo");
    assertEquals(0, demo.status(), demo.err() + demo.out());
    assertTrue(demo.out().contains("(aufs driver)"), demo.out());
  }
}

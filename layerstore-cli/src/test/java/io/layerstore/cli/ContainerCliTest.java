package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.TarListing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The container commands and their docker-like output, on a store in a temporary directory. */
class ContainerCliTest {

  @TempDir Path tmp;

  private InProcessCli.Result cli(String... args) {
    return InProcessCli.run(tmp.resolve("root"), args);
  }

  private InProcessCli.Result ok(String... args) {
    InProcessCli.Result r = cli(args);
    assertEquals(0, r.status(), String.join(" ", args) + " failed: " + r.err());
    return r;
  }

  @Test
  void createMountDiffCommitExportRemove() throws IOException {
    PlatformRequirements.requireKernelOverlay();
    ok("load", "-i", Fixtures.fxMultiArchive().toString());
    String id = ok("create", "--name", "web", "--hostname", "box", "fx:multi").out().strip();
    assertTrue(id.matches("[0-9a-f]{64}"), id);
    String ps = ok("ps", "-a").out();
    List<String> lines = ps.lines().toList();
    assertEquals(2, lines.size(), ps);
    assertTrue(lines.get(0).matches("CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +NAMES"), ps);
    assertTrue(lines.get(1).startsWith(id.substring(0, 12) + "   fx:multi   \"/bin/sh\"   "), ps);
    assertTrue(lines.get(1).endsWith("Created   web"), ps);
    assertEquals(id + "\n", ok("ps", "-q", "--no-trunc").out());
    assertEquals("", ok("diff", "web").out());
    InProcessCli.Result used = cli("rmi", "fx:multi");
    assertEquals(1, used.status());
    assertTrue(
        used.err().contains("image is being used by container " + id.substring(0, 12)), used.err());

    Path root = Path.of(ok("mount", "web").out().strip());
    try {
      assertTrue(root.endsWith("merged"), root.toString());
      assertTrue(ok("ps").out().contains("Mounted   web"));
      assertEquals("box\n", Files.readString(root.resolve("etc/hostname")));
      Files.writeString(root.resolve("etc/motd"), "hi\n");
      Files.delete(root.resolve("etc/os-release"));
      InProcessCli.Result busy = cli("rm", "web");
      assertEquals(1, busy.status());
      assertTrue(busy.err().contains("You cannot remove a mounted container"), busy.err());
    } finally {
      ok("umount", "web");
    }
    assertEquals("C /etc\nA /etc/motd\nD /etc/os-release\n", ok("diff", id.substring(0, 8)).out());

    String image =
        ok("commit", "-a", "me", "-m", "motd", "-c", "ENV GREETING=hi", "web", "app:1")
            .out()
            .strip();
    assertTrue(image.matches("sha256:[0-9a-f]{64}"), image);
    assertTrue(ok("images").out().contains("app          1"));
    String inspect = ok("inspect", "app:1").out();
    assertTrue(inspect.contains("\"GREETING=hi\""), inspect);
    assertTrue(inspect.contains("\"Author\": \"me\""), inspect);

    Path exported = tmp.resolve("web.tar");
    ok("export", "-o", exported.toString(), "web");
    try (InputStream in = Files.newInputStream(exported)) {
      List<String> tar = TarListing.of(in, false, x -> true);
      assertTrue(
          tar.stream().anyMatch(l -> l.startsWith("etc/motd 0 0100644 0:0 3 ")), tar.toString());
      assertTrue(
          tar.stream().anyMatch(l -> l.startsWith("etc/hostname 0 0100644 0:0 4 ")),
          tar.toString());
      assertFalse(tar.stream().anyMatch(l -> l.startsWith("etc/os-release ")), tar.toString());
    }

    assertEquals("web\n", ok("rm", "web").out());
    assertTrue(ok("rmi", "app:1").out().startsWith("Untagged: app:1\nDeleted: " + image + "\n"));
    assertEquals("CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   NAMES\n", ok("ps").out());
    InProcessCli.Result gone = cli("diff", "web");
    assertEquals(1, gone.status());
    assertEquals("Error: No such container: web\n", gone.err());
  }

  @Test
  void usageErrorsAreClear() {
    assertEquals(125, cli("create").status());
    assertEquals(125, cli("create", "--no-init", "--hostname", "x", "fx:multi").status());
    assertEquals(125, cli("commit").status());
    // export without -o writes to stdout, as docker's does: here no container by that name
    InProcessCli.Result export = cli("export", "x");
    assertEquals(1, export.status());
    assertEquals("Error: No such container: x\n", export.err());
    InProcessCli.Result change = cli("commit", "-c", "RUN true", "x");
    assertEquals(1, change.status());
    assertTrue(change.err().contains("RUN is not a valid change command"), change.err());
    InProcessCli.Result missing = cli("create", "no:such");
    assertEquals(1, missing.status());
    assertEquals("Error: No such image: no:such\n", missing.err());
  }
}

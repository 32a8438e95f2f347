package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's acceptance with the command line and a private dockerd: {@code layerstore build} on
 * fx:multi prints the image id, which {@code images -q --no-trunc} shows again; dockerd loads our
 * {@code save} of it and runs its entrypoint; a malformed {@code --add} is a usage error.
 */
class BuildDockerTest {

  @TempDir Path tmp;

  @Test
  void dockerdLoadsOurSaveAndRunsTheEntrypoint() throws Exception {
    PlatformRequirements.requireKernelOverlay();
    PlatformRequirements.require(
        PrivateDocker.available(), "a dockerd binary (Debian package docker.io)");
    Path root = tmp.resolve("store");
    String r = root.toString();
    DockerInteropTest.run("--root", r, "load", "-i", Fixtures.fxMultiArchive().toString());
    Path app = Files.createDirectories(tmp.resolve("app"));
    Files.writeString(app.resolve("hello.sh"), "#!/bin/sh\necho \"hello from $GREETER, $1\"\n");
    String id =
        DockerInteropTest.run(
                "--root",
                r,
                "build",
                "--from",
                "fx:multi",
                "--add",
                app + ":/app",
                "--chmod",
                "755",
                "--entrypoint",
                "[\"/app/hello.sh\"]",
                "--cmd",
                "[\"world\"]",
                "--env",
                "GREETER=layerstore",
                "-t",
                "hello:1")
            .strip();
    assertTrue(id.matches("sha256:[0-9a-f]{64}"), id);
    assertEquals(
        id, DockerInteropTest.run("--root", r, "images", "-q", "--no-trunc", "hello:1").strip());
    Path saved = tmp.resolve("hello.tar");
    DockerInteropTest.run("--root", r, "save", "-o", saved.toString(), "hello:1");

    try (PrivateDocker docker = PrivateDocker.start(tmp.resolve("d"))) {
      assertEquals("hello:1", docker.load(saved));
      PrivateDocker.Result inspect = docker.docker("image", "inspect", "-f", "{{.Id}}", "hello:1");
      assertEquals(id, inspect.out().strip(), "dockerd computes the same image id");
      PrivateDocker.Result run = docker.docker("run", "--rm", "--network", "none", "hello:1");
      assertEquals(0, run.exitCode(), run.out());
      assertEquals("hello from layerstore, world", run.out().strip());
    }
  }

  @Test
  void aMalformedAddIsAUsageErrorAndAMissingSourceIsNamed() {
    Path root = tmp.resolve("store");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Main main =
        new Main(
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    int status =
        main.run(
            new String[] {
              "--root",
              root.toString(),
              "build",
              "--from",
              "scratch",
              "--add",
              "nocolon",
              "-t",
              "x:1"
            });
    assertEquals(Main.USAGE_ERROR, status, err.toString(StandardCharsets.UTF_8));
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("--add wants SRC:DEST"), err.toString());
    err.reset();
    Path missing = tmp.resolve("missing.txt");
    status =
        main.run(
            new String[] {
              "--root",
              root.toString(),
              "build",
              "--from",
              "scratch",
              "--add",
              missing + ":/m",
              "-t",
              "x:1"
            });
    assertEquals(1, status);
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains(missing + " does not exist"), err.toString());
  }
}

package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher the build writes at {@code package}, {@code target/layerstore}, with its
 * class-data-sharing archive {@code target/layerstore.jsa}: it runs the command with nothing added
 * to its output and passes its exit status through. Both are build artifacts, so this is an
 * integration test: failsafe runs it after {@code package} ({@code mvn verify}, the README's test
 * command), where they must exist.
 */
class LauncherIT {

  private static final Path TARGET = Path.of(System.getProperty("basedir", "."), "target");

  @TempDir Path tmp;
  private Path launcher;

  @BeforeEach
  void built() {
    launcher = TARGET.resolve("layerstore");
    assertTrue(
        Files.isExecutable(launcher) && Files.isRegularFile(TARGET.resolve("layerstore.jsa")),
        "`mvn package` makes target/layerstore and target/layerstore.jsa before this test runs;"
            + " see target/cds-train.log if the archive is missing");
  }

  private record Run(int status, String out, String err) {}

  private Run run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("/bin/sh", launcher.toString()));
    command.addAll(List.of(args));
    Path out = tmp.resolve("out");
    Path err = tmp.resolve("err");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    // The JVM running the tests, the one the build made the archive with.
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher ends");
    return new Run(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void listsTheImagesOfAnEmptyStoreWithNothingOnStderr() throws Exception {
    Run r = run("--root", tmp.resolve("store").toString(), "images");
    assertEquals(0, r.status(), r.err());
    assertEquals(
        List.of("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"),
        List.of(r.out().lines().findFirst().orElse("").strip().split(" {2,}")),
        r.out());
    assertEquals("", r.err(), "no JVM or CDS message on stderr");
  }

  @Test
  void passesTheUsageErrorStatusThrough() throws Exception {
    Run r = run("--root", tmp.resolve("store").toString(), "--no-such-flag", "images");
    assertEquals(125, r.status(), r.err());
    assertTrue(r.err().contains("--no-such-flag"), r.err());
  }

  /**
   * The archive is the static one the build trains: picocli, compiled for Java 5 (which JDK 17's
   * dynamic archives leave out), comes from it, and so does nearly every class a listing loads, so
   * a start-up reads and verifies almost nothing from the jar. A regression to a dynamic archive,
   * or a training that misses a command's classes, shows here as classes loaded from the jar.
   */
  @Test
  void theArchiveHoldsPicocliAndNearlyEveryClassOfAListing() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path log = tmp.resolve("classes.log");
    Process p =
        new ProcessBuilder(
                java.toString(),
                "-XX:SharedArchiveFile=" + TARGET.resolve("layerstore.jsa"),
                "-Xshare:on",
                "-Xlog:class+load=info:file=" + log,
                "-jar",
                TARGET.resolve("layerstore.jar").toAbsolutePath().toRealPath().toString(),
                "--root",
                tmp.resolve("store").toString(),
                "images")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("out").toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "java ends");
    assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("out")));
    List<String> loaded = Files.readAllLines(log);
    assertTrue(
        loaded.stream()
            .anyMatch(l -> l.contains(" picocli.CommandLine source: shared objects file")),
        "picocli.CommandLine comes from the archive");
    List<String> fromJar = loaded.stream().filter(l -> l.contains("layerstore.jar")).toList();
    assertTrue(
        fromJar.size() <= 20,
        fromJar.size()
            + " classes loaded from the jar, not the archive:\n"
            + String.join("\n", fromJar));
  }

  /**
   * JNA's first use runs {@code ldconfig -p} in a child process unless {@code
   * jna.platform.library.path} is set, which the launcher does: a listing starts no program but the
   * launcher's own (the shell's {@code dirname} and {@code java}).
   */
  @Test
  void aListingRunsNoLdconfig() throws Exception {
    Path strace = io.layerstore.testkit.PlatformRequirements.requireExecutable("strace", "strace");
    Path trace = tmp.resolve("execve.txt");
    Process p =
        new ProcessBuilder(
                strace.toString(),
                "-f",
                "-qq",
                "-e",
                "trace=execve",
                "-o",
                trace.toString(),
                "/bin/sh",
                launcher.toString(),
                "--root",
                tmp.resolve("store").toString(),
                "images")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("out").toFile())
            .start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher ends");
    assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("out")));
    String execs = Files.readString(trace);
    assertTrue(execs.contains("java"), "the trace saw the JVM start:\n" + execs);
    assertTrue(!execs.contains("ldconfig"), "JNA ran ldconfig:\n" + execs);
  }
}

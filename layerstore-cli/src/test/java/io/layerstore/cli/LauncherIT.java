package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.testkit.ImageArchiveBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  /** {@code command} followed by the arguments of a listing of a new store. */
  private List<String> aListing(String... command) {
    List<String> all = new ArrayList<>(List.of(command));
    all.addAll(List.of("--root", tmp.resolve("store").toString(), "images"));
    return all;
  }

  /** Runs the launcher with {@code args}. */
  private Run run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("/bin/sh", launcher.toString()));
    command.addAll(List.of(args));
    return exec(Map.of(), command);
  }

  /**
   * Runs {@code command} to its end, with {@code env} added to its environment and JAVA_HOME set to
   * the JVM running the tests, the one the build made the archive with.
   */
  private Run exec(Map<String, String> env, List<String> command)
      throws IOException, InterruptedException {
    Path out = tmp.resolve("out");
    Path err = tmp.resolve("err");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), command.get(0) + " ends");
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
        List.of(List.of("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE")),
        r.out().lines().map(l -> List.of(l.strip().split(" {2,}"))).toList(),
        "the header alone, nothing from the JVM: " + r.out());
    assertEquals("", r.err(), "no JVM or CDS message on stderr");
  }

  /**
   * docker's pipes, through real processes: {@code save IMAGE | load} between two stores, {@code
   * load < FILE}, and {@code save IMAGE > FILE} byte for byte what {@code -o FILE} writes; a {@code
   * save} into a closed pipe fails instead of reporting success.
   */
  @Test
  void savesToStdoutAndLoadsFromStdinThroughPipes() throws Exception {
    Path fixture = io.layerstore.testkit.Fixtures.fxMultiArchive();
    String l = "/bin/sh " + launcher;
    String a = tmp.resolve("a").toString();
    String b = tmp.resolve("b").toString();
    String c = tmp.resolve("c").toString();
    Run piped =
        exec(
            Map.of(),
            List.of(
                "/bin/sh",
                "-c",
                l
                    + " --root "
                    + a
                    + " load < "
                    + fixture
                    + " && "
                    + l
                    + " --root "
                    + a
                    + " save fx:multi | "
                    + l
                    + " --root "
                    + b
                    + " load && "
                    + l
                    + " --root "
                    + b
                    + " save fx:multi > "
                    + tmp.resolve("s.tar")
                    + " && "
                    + l
                    + " --root "
                    + c
                    + " load -i "
                    + tmp.resolve("s.tar")
                    + " && "
                    + l
                    + " --root "
                    + c
                    + " save -o "
                    + tmp.resolve("o.tar")
                    + " fx:multi"));
    assertEquals(0, piped.status(), piped.err());
    assertEquals(
        List.of("Loaded image: fx:multi", "Loaded image: fx:multi", "Loaded image: fx:multi"),
        piped.out().lines().toList());
    byte[] want = Files.readAllBytes(fixture);
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        want, Files.readAllBytes(tmp.resolve("s.tar")), "save > FILE is the loaded bytes");
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        want, Files.readAllBytes(tmp.resolve("o.tar")), "and so is save -o FILE");
    // a reader that goes away: the writer gets EPIPE (sh ignores SIGPIPE for it here: the JVM
    // does), and says so
    Run closed =
        exec(
            Map.of(),
            List.of(
                "/bin/bash",
                "-c",
                "set -o pipefail; "
                    + l
                    + " --root "
                    + a
                    + " save fx:multi | head -c 10"
                    + " >/dev/null"));
    assertTrue(closed.status() != 0, "a save into a closed pipe fails: " + closed);
    assertTrue(closed.err().contains("Error"), closed.err());
  }

  /** The jar's manifest carries the build's version, which {@code --version} prints. */
  @Test
  void printsTheVersionTheBuildWroteIntoTheJar() throws Exception {
    Run r = run("--version");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().matches("layerstore version \\d+\\.\\d+\\.\\d+\\S*\n"), r.out());
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
    Run r =
        exec(
            Map.of(),
            aListing(
                java.toString(),
                "-XX:SharedArchiveFile=" + TARGET.resolve("layerstore.jsa"),
                "-Xshare:on",
                "-Xlog:class+load=info:file=" + log,
                "-jar",
                TARGET.resolve("layerstore.jar").toAbsolutePath().toRealPath().toString()));
    assertEquals(0, r.status(), r.err());
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
    Run r =
        exec(
            Map.of(),
            aListing(
                strace.toString(),
                "-f",
                "-qq",
                "-e",
                "trace=execve",
                "-o",
                trace.toString(),
                "/bin/sh",
                launcher.toString()));
    assertEquals(0, r.status(), r.err());
    String execs = Files.readString(trace);
    assertTrue(execs.contains("java"), "the trace saw the JVM start:\n" + execs);
    assertTrue(!execs.contains("ldconfig"), "JNA ran ldconfig:\n" + execs);
  }

  /**
   * The launcher's compiler directives ({@code layerstore-jit.json}) reach the JVM: in a load, C2
   * compiles the SHA-256 code (so its CPU instructions are used) and nothing outside the byte loops
   * the directives name; without them C2 would compile hundreds of the load's own methods.
   */
  @Test
  void c2CompilesOnlyTheLoopsOverEveryByte() throws Exception {
    assertTrue(Files.isRegularFile(TARGET.resolve("layerstore-jit.json")), "the build copies it");
    byte[] big = new byte[48 << 20];
    new java.util.Random(3).nextBytes(big);
    ImageArchiveBuilder b = new ImageArchiveBuilder().tag("jit:1");
    b.layer().dir("data", 0755).file("data/big", big, 0644).file("data/small", "s\n", 0644);
    Path archive = tmp.resolve("jit.tar");
    b.write(archive);
    Run r = withCompilationLog("load", "-i", archive.toString());
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("Loaded image: jit:1"), r.out());
    List<String> c2 = c2Compiled(r.out());
    assertTrue(
        c2.stream().anyMatch(c -> c.startsWith("sun.security.provider.")),
        "C2 compiled SHA-256: " + c2);
    List<String> others =
        c2.stream()
            .filter(
                c ->
                    !c.startsWith("sun.security.provider.")
                        && !c.equals("io.layerstore.tarsplit.Crc64")
                        && !c.startsWith("java.util.Base64"))
            .toList();
    assertEquals(List.of(), others, "C2 compiled only what the directives name");

    // A build compresses its layer with the library's own deflate, in Java: C2 compiles it too
    // (left to C1 it ran at half zlib's speed in a push)
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    byte[] text = new byte[24 << 20];
    for (int i = 0; i < text.length; i++) {
      text[i] = (byte) ('a' + (i * 7 + i / 1000) % 26);
    }
    Files.write(src.resolve("text"), text);
    Run built =
        withCompilationLog("build", "--from", "scratch", "--add", src + ":/src", "-t", "jit:2");
    assertEquals(0, built.status(), built.err());
    List<String> c2build = c2Compiled(built.out());
    assertTrue(
        c2build.contains("io.layerstore.archive.BlockDeflater"),
        "C2 compiled the deflater: " + c2build);
  }

  /** The classes C2 compiled, from -XX:+PrintCompilation's lines. */
  private static List<String> c2Compiled(String printCompilation) {
    // "<ms> <id> <flags> <tier> <class>::<method> ...", tier 4 being C2
    java.util.regex.Pattern line =
        java.util.regex.Pattern.compile("^\\s*\\d+\\s+\\d+\\s+[%sbn! ]*?([0-4])\\s+(\\S+)::");
    return printCompilation
        .lines()
        .map(line::matcher)
        .filter(m -> m.find() && m.group(1).equals("4"))
        .map(m -> m.group(2))
        .distinct()
        .toList();
  }

  /** Runs a command of the launcher on the test's store with C2's compiles on stdout. */
  private Run withCompilationLog(String... command) throws IOException, InterruptedException {
    List<String> all =
        new ArrayList<>(
            List.of("/bin/sh", launcher.toString(), "--root", tmp.resolve("store").toString()));
    all.addAll(List.of(command));
    // _JAVA_OPTIONS come after the command line's options, so they override its
    // -XX:-DisplayVMOutput
    return exec(Map.of("_JAVA_OPTIONS", "-XX:+DisplayVMOutput -XX:+PrintCompilation"), all);
  }
}

package io.layerstore.platform;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a main class of this package in a child JVM as user 65534 (via {@code setpriv}), for the few
 * behaviours root never sees (permission checks). The package's compiled classes are copied to a
 * directory that user can read; the child gets the JDK and those classes only.
 */
final class NonRootRunner {
  static final int UID = 65534;
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  private final Path workDir;
  private final Path classes;

  private NonRootRunner(Path workDir, Path classes) {
    this.workDir = workDir;
    this.classes = classes;
  }

  /** A runner working below {@code tmp}, or a skip (a failure when the platform is required). */
  static NonRootRunner create(Path tmp) throws IOException, URISyntaxException {
    boolean root;
    try {
      root = LinuxCalls.geteuid() == 0;
    } catch (LinkageError | RuntimeException e) {
      root = false;
    }
    PlatformAssumptions.assumeAvailable(
        root && Files.isExecutable(SETPRIV), "root with setpriv, to run as another user");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path work = Files.createDirectory(tmp.resolve("nonroot"));
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path classes = Files.createDirectory(tmp.resolve("classes"));
    Files.setPosixFilePermissions(classes, PosixFilePermissions.fromString("rwxr-xr-x"));
    copyPackage(SafeTreeOps.class, classes);
    copyPackage(SafeDeleteChild.class, classes);
    return new NonRootRunner(work, classes);
  }

  /** A directory the child may use (it owns nothing in it until {@link #chownToRunner}). */
  Path workDir() {
    return workDir;
  }

  /** Gives {@code dir} and everything below it to the child's user. */
  void chownToRunner(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Files.setAttribute(p, "unix:uid", UID, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", UID, LinkOption.NOFOLLOW_LINKS);
      }
    }
  }

  /**
   * Runs {@code main} with {@code args}; returns the exit code, failing with the output if not 0.
   */
  int run(Class<?> main, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            SETPRIV.toString(),
            "--reuid=" + UID,
            "--regid=" + UID,
            "--clear-groups",
            "--",
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xshare:auto",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            classes.toString(),
            main.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("child did not finish: " + cmd);
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(
          "child exited " + p.exitValue() + ":\n" + new String(out, StandardCharsets.UTF_8));
    }
    return p.exitValue();
  }

  private static void copyPackage(Class<?> anyClass, Path classes)
      throws IOException, URISyntaxException {
    Path location = Path.of(anyClass.getProtectionDomain().getCodeSource().getLocation().toURI());
    String pkg = anyClass.getPackageName().replace('.', '/');
    Path from = location.resolve(pkg);
    Path to = Files.createDirectories(classes.resolve(pkg));
    for (Path d = to; !d.equals(classes); d = d.getParent()) {
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().endsWith(".class")) {
          Path dst = to.resolve(f.getFileName().toString());
          Files.copy(f, dst, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(dst, PosixFilePermissions.fromString("rw-r--r--"));
        }
      }
    }
  }
}

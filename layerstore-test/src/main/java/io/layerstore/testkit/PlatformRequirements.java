package io.layerstore.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Decides what a test does when the machine cannot give it a real part (a kernel mount, root, a
 * Docker daemon, a reference tool): skip where the platform cannot run it, but <b>fail</b> when the
 * system property {@code layerstore.requirePlatform} is {@code true} — CI sets it, so a test that
 * would silently skip there breaks the build instead.
 */
public final class PlatformRequirements {

  /** The system property CI sets. */
  public static final String PROPERTY = "layerstore.requirePlatform";

  private PlatformRequirements() {}

  /**
   * Whether skips are turned into failures.
   *
   * @return whether the system property {@value #PROPERTY} is {@code true}
   */
  public static boolean required() {
    return Boolean.parseBoolean(System.getProperty(PROPERTY, "false"));
  }

  /**
   * Skips (or, under CI, fails) unless {@code condition} holds. Call it at the start of a test or
   * in a {@code @BeforeEach}.
   *
   * @param condition whether the machine has what the test needs
   * @param what what the test needs, for the message ("kernel mounts (Linux, root, ...)")
   * @throws org.opentest4j.TestAbortedException to skip, when the condition fails and skips are
   *     allowed
   * @throws AssertionError to fail, when the condition fails under {@value #PROPERTY}
   */
  public static void require(boolean condition, String what) {
    if (condition) {
      return;
    }
    if (required()) {
      Assertions.fail(
          "this test needs " + what + ", and " + PROPERTY + "=true forbids skipping it");
    }
    Assumptions.assumeTrue(false, "needs " + what);
  }

  /**
   * Linux, running as root.
   *
   * @return whether {@code os.name} says Linux and the effective uid ({@code /proc/self/status}) is
   *     0
   */
  public static boolean isLinuxRoot() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      return false;
    }
    // The effective uid, not the user name: a container's or a renamed account's uid 0 counts,
    // and a user merely called "root" does not.
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).trim().split("\\s+")[1].equals("0");
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  /**
   * Whether the kernel offers overlayfs and we may mount it.
   *
   * @return whether this is Linux as root and {@code /proc/filesystems} lists {@code overlay}
   */
  public static boolean canMountOverlay() {
    if (!isLinuxRoot()) {
      return false;
    }
    try {
      return Files.readString(Path.of("/proc/filesystems")).contains("\toverlay\n");
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /**
   * Skips (or, under CI, fails) unless the kernel's overlay file system can be mounted here.
   *
   * @throws org.opentest4j.TestAbortedException to skip
   * @throws AssertionError to fail, under {@value #PROPERTY}
   */
  public static void requireKernelOverlay() {
    require(canMountOverlay(), "Linux, root and the kernel's overlay file system");
  }

  /**
   * An executable on the PATH, or null. {@code /usr/sbin}, {@code /sbin} and {@code /usr/bin} are
   * tried after the PATH, since a non-login shell's PATH often lacks the sbin directories.
   *
   * @param name the program's file name
   * @return the first executable found, or {@code null}
   */
  public static Path executable(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(":")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin"}) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /**
   * Requires an executable and returns it: skips (or, under CI, fails) when it is not installed.
   *
   * @param name the program's file name
   * @param debianPackage the package that provides it, for the message
   * @return the executable
   * @throws org.opentest4j.TestAbortedException to skip
   * @throws AssertionError to fail, under {@value #PROPERTY}
   */
  public static Path requireExecutable(String name, String debianPackage) {
    Path p = executable(name);
    require(p != null, "the program " + name + " (Debian package " + debianPackage + ")");
    return p;
  }
}

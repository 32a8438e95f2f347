package io.layerstore.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the platform for a store root, once, when the store opens; nothing is cached between
 * calls.
 *
 * <p>Native needs all of: the default file system, Linux, a 64-bit JVM with libc reachable through
 * JNA, effective uid 0 — and a probe that proves it. Root inside a user namespace (rootless
 * engines, some CI sandboxes) has euid 0 but may not mknod a char device, and some file systems
 * refuse {@code trusted.*} xattrs, so the probe makes a whiteout (char 0:0) and sets {@code
 * trusted.overlay.opaque} in a temporary directory beside the store (in the root, or the nearest
 * existing ancestor if the root is not made yet), then removes it. If anything fails, the store is
 * emulated and the reason is logged.
 */
final class Platforms {
  private static final Logger log = LoggerFactory.getLogger(Platforms.class);
  private static final byte[] YES = "y".getBytes(StandardCharsets.US_ASCII);

  private Platforms() {}

  static Platform forRoot(Path root) {
    Objects.requireNonNull(root, "root");
    String why = whyNotNative(root);
    if (why == null) {
      log.debug("{}: native platform", root);
      return new NativePlatform(new LinuxKernelMounts());
    }
    if (root.getFileSystem() == FileSystems.getDefault()) {
      log.info("{}: emulating device nodes, ownership and xattrs: {}", root, why);
    } else {
      log.debug("{}: emulated platform: {}", root, why);
    }
    return new EmulatedPlatform();
  }

  static Platform emulated() {
    return new EmulatedPlatform();
  }

  /** Why {@code root} cannot have the native platform, or {@code null} if it can. */
  static String whyNotNative(Path root) {
    if (root.getFileSystem() != FileSystems.getDefault()) {
      return "not on the default file system";
    }
    String os = System.getProperty("os.name", "");
    if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
      return "not Linux (" + os + ")";
    }
    int euid;
    try {
      if (com.sun.jna.Native.LONG_SIZE != 8) {
        return "not a 64-bit JVM";
      }
      euid = LinuxCalls.geteuid();
    } catch (LinkageError | RuntimeException e) {
      return "libc is not reachable through JNA: " + e;
    }
    if (euid != 0) {
      return "not running as root (euid " + euid + ")";
    }
    return probe(root);
  }

  private static String probe(Path root) {
    Path dir = root.toAbsolutePath().normalize();
    while (dir != null && !Files.isDirectory(dir)) {
      dir = dir.getParent();
    }
    if (dir == null) {
      return "no existing directory above " + root;
    }
    Path probe = null;
    Path node = null;
    try {
      probe = Files.createTempDirectory(dir, ".layerstore-probe-");
      node = probe.resolve("whiteout");
      LinuxCalls.mknod(node, NodeKind.CHAR_DEVICE, 0, 0, 0);
      LinuxCalls.setXattr(probe, "trusted.overlay.opaque", YES);
      if (!Arrays.equals(YES, LinuxCalls.getXattr(probe, "trusted.overlay.opaque"))) {
        return "trusted xattrs do not read back in " + dir;
      }
      return null;
    } catch (IOException | RuntimeException | LinkageError e) {
      return "probe in " + dir + " failed: " + e.getMessage();
    } finally {
      try {
        if (node != null) {
          Files.deleteIfExists(node);
        }
        if (probe != null && Files.isDirectory(probe, LinkOption.NOFOLLOW_LINKS)) {
          Files.delete(probe);
        }
      } catch (IOException e) {
        log.warn("could not remove platform probe {}: {}", probe, e.toString());
      }
    }
  }
}

package io.layerstore.platform;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The one place tests decide that the machine cannot run them: they skip, unless the system
 * property {@code layerstore.requirePlatform} is {@code true} (CI sets it), in which case a missing
 * capability is a failure, so a CI machine that silently lost root or overlay support cannot pass.
 */
final class PlatformAssumptions {
  static final String REQUIRE_PROPERTY = "layerstore.requirePlatform";

  private PlatformAssumptions() {}

  static boolean required() {
    return Boolean.parseBoolean(System.getProperty(REQUIRE_PROPERTY, "false"));
  }

  /**
   * Skips (or fails, when required) unless {@code available}; {@code what} says what is missing.
   */
  static void assumeAvailable(boolean available, String what) {
    if (available) {
      return;
    }
    if (required()) {
      fail(what + " is not available, and " + REQUIRE_PROPERTY + "=true");
    }
    Assumptions.abort(what + " is not available here");
  }

  /** The native platform for a store in {@code dir}, or a skip/fail. */
  static Platform nativePlatform(Path dir) {
    String why = Platforms.whyNotNative(dir);
    assumeAvailable(why == null, "the native platform (" + why + ")");
    Platform p = Platform.forRoot(dir);
    assumeAvailable(p.isNative(), "the native platform");
    return p;
  }

  /** Kernel mounts able to mount {@code fsType}, or a skip/fail. */
  static KernelMounts kernelMounts(Path dir, String fsType) {
    KernelMounts mounts = nativePlatform(dir).kernelMounts().orElse(null);
    assumeAvailable(mounts != null, "kernel mounts");
    assumeAvailable(mounts.supportsFileSystem(fsType), "the " + fsType + " file system");
    return mounts;
  }
}

package io.layerstore.union;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * Decides what a test does when the machine cannot run it (no root, no kernel overlay): skip
 * normally, fail when {@code -Dlayerstore.requirePlatform=true} says the platform must be there (CI
 * on a capable host), so a broken setup can't pass by skipping.
 */
final class PlatformRequirement {
  static final String PROPERTY = "layerstore.requirePlatform";

  private PlatformRequirement() {}

  static boolean required() {
    return Boolean.parseBoolean(System.getProperty(PROPERTY, "false"));
  }

  /** Continues only if {@code available}; otherwise skips or, when required, fails. */
  static void require(boolean available, String what) {
    require(available, what, required());
  }

  static void require(boolean available, String what, boolean required) {
    if (available) {
      return;
    }
    if (required) {
      fail(what + " is not available, and " + PROPERTY + "=true");
    }
    Assumptions.abort(what + " is not available here; skipped");
  }
}

package io.layerstore.platform;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The skip-or-fail decision itself. */
class PlatformAssumptionsTest {
  private final String saved = System.getProperty(PlatformAssumptions.REQUIRE_PROPERTY);

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(PlatformAssumptions.REQUIRE_PROPERTY);
    } else {
      System.setProperty(PlatformAssumptions.REQUIRE_PROPERTY, saved);
    }
  }

  @Test
  void skipsWhenNotRequiredAndFailsWhenRequired() {
    PlatformAssumptions.assumeAvailable(true, "anything");

    System.setProperty(PlatformAssumptions.REQUIRE_PROPERTY, "false");
    assertThrows(TestAbortedException.class, () -> PlatformAssumptions.assumeAvailable(false, "x"));
    System.clearProperty(PlatformAssumptions.REQUIRE_PROPERTY);
    assertThrows(TestAbortedException.class, () -> PlatformAssumptions.assumeAvailable(false, "x"));

    System.setProperty(PlatformAssumptions.REQUIRE_PROPERTY, "true");
    assertThrows(AssertionFailedError.class, () -> PlatformAssumptions.assumeAvailable(false, "x"));
    PlatformAssumptions.assumeAvailable(true, "anything");
  }
}

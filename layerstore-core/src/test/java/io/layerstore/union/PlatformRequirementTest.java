package io.layerstore.union;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The kernel tests may skip only when the platform is not required. */
class PlatformRequirementTest {

  @Test
  void availableGoesOn() {
    assertDoesNotThrow(() -> PlatformRequirement.require(true, "x", true));
    assertDoesNotThrow(() -> PlatformRequirement.require(true, "x", false));
  }

  @Test
  void missingSkipsUnlessRequired() {
    assertThrows(TestAbortedException.class, () -> PlatformRequirement.require(false, "x", false));
    assertThrows(AssertionFailedError.class, () -> PlatformRequirement.require(false, "x", true));
  }
}

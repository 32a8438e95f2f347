package io.layerstore.platform;

import java.nio.file.Path;

/** Chooses the platform implementation. */
final class Platforms {
  private Platforms() {}

  static Platform forRoot(Path root) {
    throw new UnsupportedOperationException("platform detection is not written yet");
  }

  static Platform emulated() {
    throw new UnsupportedOperationException("emulated platform is not written yet");
  }
}

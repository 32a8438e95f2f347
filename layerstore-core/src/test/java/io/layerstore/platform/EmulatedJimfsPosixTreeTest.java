package io.layerstore.platform;

import com.google.common.jimfs.Configuration;

/**
 * The contract on jimfs with the {@code posix} and {@code unix} views: permission bits and link
 * counts live in the file system, as on a real disk.
 */
class EmulatedJimfsPosixTreeTest extends EmulatedJimfsTreeTest {
  @Override
  Configuration configuration() {
    return Configuration.unix().toBuilder()
        .setAttributeViews("basic", "owner", "posix", "unix")
        .build();
  }
}

package io.layerstore.platform;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Anywhere: trees keep what the file system cannot hold in sidecar records; no kernel mounts. */
final class EmulatedPlatform implements Platform {

  @Override
  public boolean isNative() {
    return false;
  }

  @Override
  public Tree tree(Path root, Path sidecar) {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(sidecar, "sidecar");
    if (sidecar.getFileSystem() == root.getFileSystem()
        && sidecar.toAbsolutePath().normalize().startsWith(root.toAbsolutePath().normalize())) {
      throw new IllegalArgumentException(
          "record file " + sidecar + " lies inside its tree " + root);
    }
    return new EmulatedTree(root, sidecar);
  }

  @Override
  public Optional<KernelMounts> kernelMounts() {
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "emulated platform";
  }
}

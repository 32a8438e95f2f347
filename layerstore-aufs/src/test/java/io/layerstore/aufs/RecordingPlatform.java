package io.layerstore.aufs;

import io.layerstore.platform.KernelMounts;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Emulated trees with a {@link RecordingKernelMounts}: a kernel that "mounts" by writing it down.
 */
final class RecordingPlatform implements Platform {
  private final Platform trees = Platform.emulated();
  private final RecordingKernelMounts mounts;

  RecordingPlatform(RecordingKernelMounts mounts) {
    this.mounts = mounts;
  }

  @Override
  public boolean isNative() {
    return false;
  }

  @Override
  public Tree tree(Path root, Path sidecar) {
    return trees.tree(root, sidecar);
  }

  @Override
  public Optional<KernelMounts> kernelMounts() {
    return Optional.of(mounts);
  }
}

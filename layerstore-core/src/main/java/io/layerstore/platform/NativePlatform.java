package io.layerstore.platform;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Linux with privilege: trees keep everything in the kernel, and kernel mounts are allowed. */
final class NativePlatform implements Platform {
  private final KernelMounts mounts;

  NativePlatform(KernelMounts mounts) {
    this.mounts = mounts;
  }

  @Override
  public boolean isNative() {
    return true;
  }

  /** {@code sidecar} is ignored (may be null); {@code root} must be on the default file system. */
  @Override
  public Tree tree(Path root, Path sidecar) {
    return new NativeTree(root);
  }

  /** One syncfs(2) for the whole file system: far cheaper than an fsync per extracted file. */
  @Override
  public void sync(Path dir) throws IOException {
    LinuxCalls.syncfs(dir);
  }

  @Override
  public void close() {
    mounts.close();
  }

  @Override
  public Optional<KernelMounts> kernelMounts() {
    return Optional.of(mounts);
  }

  @Override
  public String toString() {
    return "native platform";
  }
}

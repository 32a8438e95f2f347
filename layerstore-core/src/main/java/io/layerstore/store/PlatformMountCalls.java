package io.layerstore.store;

import io.layerstore.platform.KernelMounts;
import io.layerstore.spi.MountCalls;
import java.io.IOException;
import java.nio.file.Path;

/** {@link MountCalls} on the platform's kernel mounts, which drivers cannot name. */
final class PlatformMountCalls implements MountCalls {
  private final KernelMounts km;

  PlatformMountCalls(KernelMounts km) {
    this.km = km;
  }

  @Override
  public void mount(String source, Path target, String fsType, long flags, String data)
      throws IOException {
    km.mount(source, target, fsType, flags, data);
  }

  @Override
  public void mountFrom(
      Path workingDir, String source, Path target, String fsType, long flags, String data)
      throws IOException {
    km.mountFrom(workingDir, source, target, fsType, flags, data);
  }

  @Override
  public void unmount(Path target, int flags) throws IOException {
    km.unmount(target, flags);
  }

  @Override
  public boolean isMountPoint(Path target) throws IOException {
    return km.isMountPoint(target);
  }

  @Override
  public String mountType(Path target) throws IOException {
    return km.mountType(target);
  }

  @Override
  public int pageSize() {
    return km.pageSize();
  }
}

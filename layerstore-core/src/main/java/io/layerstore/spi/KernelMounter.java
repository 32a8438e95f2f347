package io.layerstore.spi;

import java.io.IOException;

/**
 * How a driver mounts one layer with the kernel, at its {@linkplain DriverLayout#mountPoint mount
 * point}. {@link DriverSupport} counts the references (shared with other processes, since a kernel
 * mount outlives the process that made it) and calls these only for the first and the last one.
 */
public interface KernelMounter {

  /** Mounts {@code id} with its ancestors; called by the first reference only. */
  void mount(String id, boolean writable) throws IOException;

  /** Unmounts {@code id}; called when the last reference goes. */
  void unmount(String id) throws IOException;

  /** Whether {@code id}'s mount point is mounted now, by any process. */
  boolean isMounted(String id) throws IOException;

  /** Whether the existing mount of {@code id} accepts writes. */
  boolean isWritable(String id) throws IOException;
}

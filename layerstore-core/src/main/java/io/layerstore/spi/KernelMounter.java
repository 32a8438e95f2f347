package io.layerstore.spi;

import java.io.IOException;

/**
 * How a driver mounts one layer with the kernel, at its {@linkplain DriverLayout#mountPoint mount
 * point}. {@link DriverSupport} counts the references (shared with other processes, since a kernel
 * mount outlives the process that made it) and calls these only for the first and the last one.
 */
public interface KernelMounter {

  /**
   * Mounts {@code id} with its ancestors; called by the first reference only.
   *
   * @param id the layer
   * @param writable whether the mount accepts writes (into {@code id}'s own diff)
   * @throws IOException if the kernel refuses
   */
  void mount(String id, boolean writable) throws IOException;

  /**
   * Unmounts {@code id}; called when the last reference goes.
   *
   * @param id the layer
   * @throws IOException if the kernel refuses
   */
  void unmount(String id) throws IOException;

  /**
   * Whether {@code id}'s mount point is mounted now, by any process.
   *
   * @param id the layer
   * @return whether it is mounted
   * @throws IOException if the mount table cannot be read
   */
  boolean isMounted(String id) throws IOException;

  /**
   * Whether the existing mount of {@code id} accepts writes.
   *
   * @param id the layer, mounted
   * @return whether its mount is writable
   * @throws IOException if the mount table cannot be read
   */
  boolean isWritable(String id) throws IOException;
}

package io.layerstore.testkit;

/** Where a contract run keeps its store. Every driver runs the whole kit on both. */
public enum Backing {
  /**
   * A fresh temporary directory on the default file system: the native platform when the process
   * may use it (Linux, root), kernel mounts where the driver can make them.
   */
  DISK,
  /** A fresh jimfs file system: the emulated platform and the in-process union. */
  JIMFS
}

package io.layerstore.testkit;

/** What a driver's mounts of layers with ancestors are expected to be on a backing. */
public enum MountKind {
  /**
   * Real kernel mounts; the run fails instead of skipping under {@code layerstore.requirePlatform}.
   */
  KERNEL,
  /** The in-process union view (core's own union file system over the layer directories). */
  IN_PROCESS
}

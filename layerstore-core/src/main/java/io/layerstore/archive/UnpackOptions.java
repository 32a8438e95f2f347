package io.layerstore.archive;

import io.layerstore.DevicePolicy;

/**
 * Limits and policies for applying a layer.
 *
 * @param devicePolicy which device nodes may be created
 * @param maxEntries most tar members one layer may have
 * @param maxNameLength longest member name in bytes
 */
public record UnpackOptions(DevicePolicy devicePolicy, long maxEntries, int maxNameLength) {

  public static final UnpackOptions DEFAULTS =
      new UnpackOptions(DevicePolicy.STANDARD, 10_000_000L, 16 * 1024);

  public UnpackOptions {
    if (devicePolicy == null) {
      throw new IllegalArgumentException("devicePolicy is null");
    }
    if (maxEntries <= 0 || maxNameLength <= 0) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  public UnpackOptions withDevicePolicy(DevicePolicy p) {
    return new UnpackOptions(p, maxEntries, maxNameLength);
  }
}

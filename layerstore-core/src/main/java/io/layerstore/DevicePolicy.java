package io.layerstore;

/**
 * Which device nodes a layer may create. A layer is content from anywhere; a block device node for
 * the host's disk, or {@code /dev/mem}, left in a diff directory would give whoever can reach that
 * directory raw access to the host. Images legitimately carry a few character devices ({@code
 * /dev/null} and friends), so the default keeps exactly those.
 */
public enum DevicePolicy {
  /** Every device node is created, as Docker does. */
  ALL,
  /**
   * The default: character devices that are harmless by design ({@code null 1:3}, {@code zero 1:5},
   * {@code full 1:7}, {@code random 1:8}, {@code urandom 1:9}, {@code tty 5:0}, {@code console
   * 5:1}, {@code ptmx 5:2}) and overlay whiteouts ({@code 0:0}) are created; any other device makes
   * the layer fail with a clear error.
   */
  STANDARD,
  /** No device node at all; a layer holding one fails. */
  NONE;

  /**
   * Whether a device node with these numbers may be created under this policy. Overlay whiteouts
   * are character devices {@code 0:0}, so {@link #NONE} refuses them too.
   *
   * @param block {@code true} for a block device (tar type {@code '4'}), {@code false} for a
   *     character device (tar type {@code '3'})
   * @param major the device's major number
   * @param minor the device's minor number
   * @return whether the layer may create the node
   */
  public boolean allows(boolean block, int major, int minor) {
    switch (this) {
      case ALL:
        return true;
      case NONE:
        return false;
      case STANDARD:
        if (block) {
          return false;
        }
        if (major == 0 && minor == 0) {
          return true;
        }
        if (major == 1) {
          return minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9;
        }
        return major == 5 && minor >= 0 && minor <= 2;
      default:
        throw new AssertionError(this);
    }
  }
}

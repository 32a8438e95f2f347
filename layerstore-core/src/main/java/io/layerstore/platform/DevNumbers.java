package io.layerstore.platform;

/**
 * Device numbers in glibc's 64-bit {@code dev_t} encoding, and the range the kernel accepts.
 *
 * <p>{@code mknod(2)} hands the kernel a 32-bit device number split 12:20, so a major above 4095 or
 * a minor above 1048575 cannot be created anywhere. Both trees refuse them the same way, before
 * touching the file system, so an emulated tree never records a node a real one could not hold.
 */
final class DevNumbers {
  static final int MAX_MAJOR = (1 << 12) - 1;
  static final int MAX_MINOR = (1 << 20) - 1;

  private DevNumbers() {}

  static void check(int major, int minor) {
    if (major < 0 || major > MAX_MAJOR || minor < 0 || minor > MAX_MINOR) {
      throw new IllegalArgumentException(
          "device number "
              + major
              + ":"
              + minor
              + " is outside 0-"
              + MAX_MAJOR
              + ":0-"
              + MAX_MINOR);
    }
  }

  static long makedev(int major, int minor) {
    long ma = major & 0xffffffffL;
    long mi = minor & 0xffffffffL;
    return ((ma & 0x00000fffL) << 8)
        | ((ma & 0xfffff000L) << 32)
        | (mi & 0x000000ffL)
        | ((mi & 0xffffff00L) << 12);
  }

  static int major(long dev) {
    return (int) (((dev >>> 8) & 0x00000fffL) | ((dev >>> 32) & 0xfffff000L));
  }

  static int minor(long dev) {
    return (int) ((dev & 0x000000ffL) | ((dev >>> 12) & 0xffffff00L));
  }
}

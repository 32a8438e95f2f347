package io.layerstore.aufs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this machine's kernel offers aufs (none of the mainline kernels does). */
final class KernelAufs {

  private KernelAufs() {}

  static boolean listed() {
    try {
      return Files.readString(Path.of("/proc/filesystems")).contains("aufs");
    } catch (IOException e) {
      return false;
    }
  }
}

package io.layerstore.reliability;

import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PlatformMode;
import java.nio.file.Path;

/**
 * Another process holding a kernel mount of an image through an open handle (not left mounted): it
 * mounts, says where on stdout, and keeps the handle until stdin closes or it is killed — a killed
 * holder never gives the mount back, which the next {@code open} or {@code fsck --repair} must
 * notice.
 */
public final class KernelMountHolder {
  public static void main(String[] args) throws Exception {
    try (LayerStore s = LayerStore.builder(Path.of(args[0])).platform(PlatformMode.NATIVE).open();
        Mount m = s.mount(args[1])) {
      System.out.println((m.isKernelMount() ? "kernel " : "in-process ") + m.root());
      System.out.flush();
      System.in.read();
    }
  }
}

package io.layerstore.reliability;

import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PlatformMode;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Another process reading an image through an in-process (emulated) mount: it mounts, reads a file,
 * says so on stdout, and keeps the mount until stdin closes (or it is killed).
 */
public final class MountHolder {
  public static void main(String[] args) throws Exception {
    try (LayerStore s =
            LayerStore.builder(Path.of(args[0])).platform(PlatformMode.EMULATED).open();
        Mount m = s.mount(s.resolve(args[1]))) {
      Files.readAllBytes(m.root().resolve(args[2]));
      System.out.println("mounted " + m.isKernelMount());
      System.out.flush();
      System.in.read();
    }
  }
}

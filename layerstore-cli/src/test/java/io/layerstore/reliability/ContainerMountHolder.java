package io.layerstore.reliability;

import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PlatformMode;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Another process writing a container through an in-process (emulated) mount: it mounts the
 * container {@code args[1]} of the store at {@code args[0]}, writes {@code args[2]}, says so on
 * stdout, and keeps the mount until stdin closes (or it is killed).
 */
public final class ContainerMountHolder {
  public static void main(String[] args) throws Exception {
    try (LayerStore s =
            LayerStore.builder(Path.of(args[0])).platform(PlatformMode.EMULATED).open();
        Mount m = s.containers().mount(args[1])) {
      Files.writeString(m.root().resolve(args[2]), "written while mounted\n");
      System.out.println("mounted " + m.isKernelMount());
      System.out.flush();
      System.in.read();
    }
  }
}

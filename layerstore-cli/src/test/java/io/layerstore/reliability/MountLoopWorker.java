package io.layerstore.reliability;

import io.layerstore.ConflictException;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.RemoveOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One of the processes sharing a store in {@link SharedMountTest}: round after round it loads the
 * image, mounts it as {@code layerstore mount} does (left mounted), reads through the mount,
 * unmounts it as {@code layerstore umount} does, and removes the image. The other process does the
 * same at the same time, so its removals and mounts interleave with these: a removal may be refused
 * (the image is mounted over there) or find the image gone, and a mount may find it removed and
 * load it again. An unmount never fails: each process gives back the count it left.
 *
 * <p>Prints {@code ok <rounds> <refused removals>} at the end; exits 1 on an unmount that found
 * nothing to give back.
 */
public final class MountLoopWorker {
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    Path archive = Path.of(args[1]);
    int rounds = Integer.parseInt(args[2]);
    int refused = 0;
    try (LayerStore store = LayerStore.open(root)) {
      for (int i = 0; i < rounds; i++) {
        Mount m = mount(store, archive);
        m.leaveMounted();
        Files.readString(m.path("/etc/os-release"));
        ImageId id = store.resolve("fx:multi");
        if (!store.unmount(id)) {
          System.out.println("umount " + i + " found nothing to give back");
          System.exit(1);
        }
        try {
          store.remove("fx:multi", RemoveOptions.defaults());
        } catch (ConflictException | NotFoundException e) {
          refused++; // mounted by the other process, or removed by it already
        }
      }
    }
    System.out.println("ok " + rounds + " " + refused);
  }

  private static Mount mount(LayerStore store, Path archive) throws Exception {
    for (int attempt = 0; ; attempt++) {
      try {
        store.load(archive);
        return store.mount("fx:multi");
      } catch (NotFoundException e) {
        if (attempt > 50) {
          throw e; // removed by the other process each time: something is wrong
        }
      }
    }
  }
}

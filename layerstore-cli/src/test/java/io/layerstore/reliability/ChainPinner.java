package io.layerstore.reliability;

import io.layerstore.ChainId;
import io.layerstore.store.GarbageCollector;
import io.layerstore.store.StoreLayout;
import io.layerstore.store.StoreLocks;
import java.nio.file.Path;

/**
 * A process in the middle of a load that builds on an existing layer, frozen there: it holds the
 * layer's chain lock the way the loader does, says so on stdout, and waits until stdin closes.
 */
public final class ChainPinner {
  public static void main(String[] args) throws Exception {
    StoreLayout layout = new StoreLayout(Path.of(args[0]), "overlay2");
    try (StoreLocks.Held pin =
        new StoreLocks(layout.locksDir())
            .lock(GarbageCollector.chainLock(ChainId.parse(args[1])))) {
      System.out.println("pinned");
      System.out.flush();
      System.in.read();
    }
  }
}

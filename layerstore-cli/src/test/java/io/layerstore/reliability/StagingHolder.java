package io.layerstore.reliability;

import io.layerstore.store.AtomicFiles;
import io.layerstore.store.LayerDb;
import io.layerstore.store.StoreLayout;
import io.layerstore.store.StoreLocks;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * A process in the middle of staging a layer, frozen there: it claims a write-set the way the store
 * does, names it on stdout, and waits until stdin closes (or it is killed).
 */
public final class StagingHolder {
  public static void main(String[] args) throws Exception {
    StoreLayout layout = new StoreLayout(Path.of(args[0]), "overlay2");
    LayerDb db = new LayerDb(layout.layerDb(), new AtomicFiles(new SecureRandom(), false));
    LayerDb.WriteSet ws = db.newWriteSet(new StoreLocks(layout.locksDir()));
    ws.writeCacheId("ab".repeat(32));
    System.out.println(ws.dir());
    System.out.flush();
    System.in.read();
  }
}

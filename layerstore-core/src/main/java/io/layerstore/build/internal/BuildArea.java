package io.layerstore.build.internal;

import io.layerstore.DiffId;
import io.layerstore.ImageId;
import io.layerstore.build.ImageBuilder;
import io.layerstore.store.LayerRecord;
import io.layerstore.store.Pusher;
import io.layerstore.store.StoreContext;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * Where builds start: the facade makes one per open store ({@code new BuildArea(store)}) and asks
 * it for a builder per build, and the pusher for the compressed layers builds kept. Holds the
 * store's layer cache of builds ({@link BuildCache}).
 */
public final class BuildArea {
  private final StoreContext store;
  private final BuildCache cache;

  /**
   * @param store the open store builds write to
   */
  public BuildArea(StoreContext store) {
    this.store = store;
    this.cache = new BuildCache(store.layout(), store.files());
  }

  /**
   * A builder for one image.
   *
   * @param base the base image, or null to build from scratch
   */
  public ImageBuilder start(ImageId base) {
    return new BuildSession(store, cache, base);
  }

  /**
   * The gzip blobs builds kept of the layers they made, for a push to upload as they are (each is
   * checked against its digest when it is looked up).
   */
  public Pusher.KeptBlobs keptBlobs() {
    return cache::blob;
  }

  /**
   * Deletes what builds kept for layers the store no longer has (their cache entries and gzip
   * blobs); the store's prune calls it after removing layers.
   *
   * @return the bytes of the blobs deleted
   * @throws IOException if the cache cannot be listed or changed
   */
  public long prune() throws IOException {
    Set<DiffId> live = new HashSet<>();
    for (LayerRecord r : store.layerDb().list()) {
      live.add(r.diffId());
    }
    return cache.prune(store.layerDb()::exists, live);
  }
}

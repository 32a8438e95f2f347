package io.layerstore.build.internal;

import io.layerstore.ImageId;
import io.layerstore.build.ImageBuilder;
import io.layerstore.store.Pusher;
import io.layerstore.store.StoreContext;

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
}

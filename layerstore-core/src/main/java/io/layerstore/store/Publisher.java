package io.layerstore.store;

import io.layerstore.ImageId;
import io.layerstore.Reference;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes staged layers together with the images and tags that use them, as one {@link Change}
 * (load, import, commit). Until the change is recorded the staged layers are the caller's and are
 * discarded on failure; from then on they are the change's, finished even if this process dies.
 */
public final class Publisher {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  /** A last check made under the store lock, just before the change is recorded. */
  public interface Precondition {
    void check() throws IOException;
  }

  private final LayerStaging staging;
  private final Changes changes;
  private final ReferenceStore refs;

  public Publisher(LayerStaging staging, Changes changes, ReferenceStore refs) {
    this.staging = staging;
    this.changes = changes;
    this.refs = refs;
  }

  public Changes.Outcome publish(Change.Builder b, List<LayerStaging.Staged> layers,
      List<Map.Entry<Reference, ImageId>> tags) throws IOException {
    return publish(b, layers, tags, () -> { });
  }

  /**
   * Adds {@code layers} (base first) and {@code tags} to the change {@code b} and commits it. A
   * later tag of the same name wins, as in Docker.
   */
  public Changes.Outcome publish(Change.Builder b, List<LayerStaging.Staged> layers,
      List<Map.Entry<Reference, ImageId>> tags, Precondition precondition) throws IOException {
    boolean handedOver = false;
    try {
      long t0 = System.nanoTime();
      staging.syncForPublish(layers);
      long t1 = System.nanoTime();
      try (StoreLocks.Held store = changes.lockStore()) {
        precondition.check();
        for (LayerStaging.Staged s : layers) {
          b.layer(s.toChange());
        }
        Map<String, ImageId> assigned = new HashMap<>();
        for (Map.Entry<Reference, ImageId> t : tags) {
          String name = t.getKey().familiarString();
          ImageId old = assigned.containsKey(name) ? assigned.get(name) : refs.get(t.getKey());
          if (old != null && !old.equals(t.getValue())) {
            LOG.info("The image {} already exists, renaming the old one with ID {} to empty string", t.getKey(), old);
          }
          b.tag(t.getKey(), t.getValue(), old);
          assigned.put(name, t.getValue());
        }
        Change change = b.build();
        handedOver = true;
        staging.handedOver(layers);
        Changes.Outcome outcome = changes.commit(change);
        LOG.debug("published {} layer(s): sync {} ms, commit {} ms", layers.size(), (t1 - t0) / 1_000_000,
            (System.nanoTime() - t1) / 1_000_000);
        return outcome;
      }
    } catch (IOException | RuntimeException | Error e) {
      if (!handedOver) {
        staging.discardAll(layers, e);
      }
      throw e;
    }
  }
}

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
 * Publishes staged layers together with the images and tags that use them, as one {@link
 * Transaction} (load, import, container commit). Until the change is recorded the staged layers are
 * the caller's and are discarded on failure; from then on they are the change's, finished even if
 * this process dies.
 */
public final class Publisher {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  /** A last check made under the store lock, just before the change is recorded. */
  public interface Precondition {
    void check() throws IOException;
  }

  private final LayerStaging staging;
  private final TransactionRunner transactions;
  private final ReferenceStore refs;

  public Publisher(LayerStaging staging, TransactionRunner transactions, ReferenceStore refs) {
    this.staging = staging;
    this.transactions = transactions;
    this.refs = refs;
  }

  public TransactionRunner.Outcome publish(
      Transaction.Builder b,
      List<LayerStaging.Staged> layers,
      List<Map.Entry<Reference, ImageId>> tags)
      throws IOException {
    return publish(b, layers, tags, () -> {});
  }

  /**
   * Adds {@code layers} (base first) and {@code tags} to the transaction {@code b} and runs it. A
   * later tag of the same name wins, as in Docker.
   */
  public TransactionRunner.Outcome publish(
      Transaction.Builder b,
      List<LayerStaging.Staged> layers,
      List<Map.Entry<Reference, ImageId>> tags,
      Precondition precondition)
      throws IOException {
    boolean handedOver = false;
    try {
      long t0 = System.nanoTime();
      staging.syncForPublish(layers);
      long t1 = System.nanoTime();
      try (StoreLocks.Held store = transactions.lockStore()) {
        precondition.check();
        for (LayerStaging.Staged s : layers) {
          b.layer(s.toNewLayer());
        }
        Map<String, ImageId> assigned = new HashMap<>();
        for (Map.Entry<Reference, ImageId> t : tags) {
          String name = t.getKey().familiarString();
          ImageId old = assigned.containsKey(name) ? assigned.get(name) : refs.get(t.getKey());
          if (old != null && !old.equals(t.getValue())) {
            LOG.info(
                "The image {} already exists, renaming the old one with ID {} to empty string",
                t.getKey(),
                old);
          }
          b.tag(t.getKey(), t.getValue(), old);
          assigned.put(name, t.getValue());
        }
        Transaction transaction = b.build();
        handedOver = true;
        staging.handedOver(layers);
        TransactionRunner.Outcome outcome = transactions.run(transaction);
        LOG.debug(
            "published {} layer(s): sync {} ms, transaction {} ms",
            layers.size(),
            (t1 - t0) / 1_000_000,
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

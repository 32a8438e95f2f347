package io.layerstore.store;

import io.layerstore.LayerStoreException;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs store transactions, atomic across crashes: {@link #run} records a {@link Transaction} in the
 * {@link Journal}, applies it and forgets it, all under the store lock. The record is the point of
 * no return: a process killed after it leaves a transaction that the next holder of the store lock
 * finishes ({@link #rollForward}); a process killed before it leaves nothing but staged layers,
 * which {@link Recovery} removes.
 *
 * <pre>{@code
 * try (StoreLocks.Held l = transactions.lockStore()) {   // finishes what dead processes left
 *   Transaction c = ...decide, reading the store...;
 *   transactions.run(c);
 * }
 * }</pre>
 */
public final class TransactionRunner {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionRunner.class);

  private final Journal journal;
  private final TransactionApplier applier;
  private final StoreLocks locks;

  public TransactionRunner(
      Journal journal,
      LayerDb layerDb,
      ImageDb imageDb,
      ReferenceStore refs,
      GraphDriver driver,
      StoreLocks locks,
      GarbageCollector gc) {
    this.journal = journal;
    this.applier = new TransactionApplier(layerDb, imageDb, refs, driver, gc);
    this.locks = locks;
  }

  /** What a transaction that ran did. */
  public record Outcome(
      List<String> untagged,
      List<io.layerstore.ImageId> deletedImages,
      List<io.layerstore.ChainId> deletedLayers,
      long bytesFreed) {}

  /** Takes the store lock and finishes any change a dead process left. */
  public StoreLocks.Held lockStore() throws IOException {
    StoreLocks.Held held = locks.store();
    try {
      rollForward();
      return held;
    } catch (IOException | RuntimeException e) {
      held.close();
      throw e;
    }
  }

  /**
   * For readers: if a change is being applied (or was left by a dead process), waits for the store
   * lock and finishes it, so nothing half done is ever seen. Costs one directory listing when the
   * journal is empty, and nothing in a thread that holds the store lock: taking it finished every
   * change left ({@link #lockStore}), and no other process can leave one while it is held (a mount
   * of a reference resolves under the lock, and would list the journal twice otherwise).
   */
  public void settle() throws IOException {
    if (locks.holdsStore()) {
      return;
    }
    if (journal.hasPending()) {
      try (StoreLocks.Held held = locks.store()) {
        rollForward();
      } catch (LayerStoreException e) {
        // a change that cannot be finished blocks changes (lockStore fails), not reading
        LOG.error("{}", e.getMessage());
      }
    }
  }

  /** Records, applies and forgets {@code transaction}; the caller holds the store lock. */
  public Outcome run(Transaction transaction) throws IOException {
    if (transaction.isEmpty()) {
      return new Outcome(List.of(), List.of(), List.of(), 0);
    }
    Journal.Entry entry = journal.record(transaction);
    TransactionApplier.Result r = applier.apply(transaction);
    journal.done(entry);
    return new Outcome(r.untagged(), r.deletedImages(), r.deletedLayers(), r.bytesFreed());
  }

  /** Finishes every recorded change; the caller holds the store lock. Returns how many. */
  public int rollForward() throws IOException {
    List<Journal.Entry> pending = journal.pending();
    for (Journal.Entry e : pending) {
      LOG.info(
          "finishing a {} that an earlier process did not complete ({})",
          e.transaction().op(),
          e.file().getFileName());
      try {
        applier.apply(e.transaction());
      } catch (IOException x) {
        throw new LayerStoreException(
            e.file()
                + ": a "
                + e.transaction().op()
                + " left by an earlier process cannot be"
                + " finished ("
                + x.getMessage()
                + "); the store takes no change until it is. If the cause is gone"
                + " (a full disk), the next change finishes it; otherwise fsck --repair drops it",
            x);
      }
      journal.done(e);
    }
    return pending.size();
  }

  /** Write-set names that recorded changes still need (so recovery leaves them alone). */
  java.util.Set<String> pendingWriteSets() {
    java.util.Set<String> out = new java.util.HashSet<>();
    try {
      for (Journal.Entry e : journal.pending()) {
        e.transaction().layers().forEach(l -> out.add(l.writeSet()));
      }
    } catch (IOException e) {
      LOG.warn("{}", e.getMessage());
    }
    return out;
  }

  Journal journal() {
    return journal;
  }
}

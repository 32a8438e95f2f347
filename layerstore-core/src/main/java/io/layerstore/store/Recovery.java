package io.layerstore.store;

import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code LayerStore.open} does before anything else, under the store lock: finishes the
 * changes dead processes recorded, then removes what they left half made — staging directories
 * nobody claims (with the driver directories they name), layerdb entries cut short while being
 * removed, image metadata without an image, temp files of interrupted atomic writes, and kernel
 * mounts whose holders all died.
 *
 * <p>Safe while other processes use the store: a staging directory is removed only when no live
 * process claims it ({@link StoreLocks#isClaimed}), and everything else it touches is only ever
 * written under the store lock, which this holds.
 */
public final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

  private final LayerDb layerDb;
  private final ImageDb imageDb;
  private final ReferenceStore refs;
  private final GraphDriver driver;
  private final StoreLocks locks;
  private final StoreLayout layout;
  private final TransactionRunner transactions;
  private final GarbageCollector gc;

  public Recovery(StoreContext store) {
    this.layerDb = store.layerDb();
    this.imageDb = store.imageDb();
    this.refs = store.refs();
    this.driver = store.driver();
    this.layout = store.layout();
    this.locks = store.locks();
    this.transactions = store.transactions();
    this.gc = store.gc();
  }

  /** What a recovery found and did. */
  public record Report(int changesFinished, List<String> removed) {
    public boolean isEmpty() {
      return changesFinished == 0 && removed.isEmpty();
    }
  }

  /** Recovers under the store lock. */
  public Report run() throws IOException {
    try (StoreLocks.Held store = locks.store()) {
      locks.create();
      int finished = 0;
      try {
        finished = transactions.rollForward();
      } catch (IOException e) {
        // the store still opens (to be read, and repaired by fsck); changes wait for this one
        LOG.error("{}", e.getMessage());
      }
      List<String> removed = new ArrayList<>();
      removeDeadWriteSets(removed, transactions.pendingWriteSets());
      for (Path p : layerDb.removalLeftovers()) {
        LayerDb.deleteFlatDir(p);
        removed.add("layer entry being removed " + p.getFileName());
      }
      for (Path p : imageDb.orphanMetadata()) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          LayerDb.deleteFlatDir(p);
        } else {
          Files.deleteIfExists(p);
        }
        removed.add("image metadata without image " + p.getFileName());
      }
      for (Path p : tempFiles()) {
        Files.deleteIfExists(p);
        removed.add("temp file " + p);
      }
      for (Path p : Scratch.leftovers(layout, locks)) {
        Scratch.removeLeftover(p, locks);
        removed.add("scratch of a dead process " + p.getFileName());
      }
      for (String id : driver.abandonedMounts(true)) {
        removed.add("mount of " + id + " whose holders all died");
      }
      Report r = new Report(finished, removed);
      if (!r.isEmpty()) {
        LOG.info("recovered the store: finished {} change(s), removed {}", finished, removed);
      }
      return r;
    }
  }

  /** Staging directories of dead processes, with the driver directory each names. */
  private void removeDeadWriteSets(List<String> removed, java.util.Set<String> needed)
      throws IOException {
    Usage usage = null;
    for (Path ws : layerDb.writeSets()) {
      String name = ws.getFileName().toString();
      String claim = LayerDb.claimName(name);
      if (locks.isClaimed(claim) || needed.contains(name)) {
        continue; // a live process is staging it, or a recorded change will publish it
      }
      String cacheId = null;
      try {
        cacheId = LayerDb.cacheIdOf(ws);
      } catch (IOException e) {
        LOG.warn("{}: unreadable cache-id: {}", ws, e.getMessage());
      }
      if (cacheId != null && driver.exists(cacheId)) {
        if (usage == null) {
          usage = gc.usage();
        }
        if (!usage.driverIdInUse(cacheId)) {
          driver.remove(cacheId);
          removed.add("half-made driver layer " + cacheId);
        }
      }
      LayerDb.deleteFlatDir(ws);
      locks.forget(claim);
      removed.add("staging directory " + name);
    }
  }

  /** Temp files of atomic writes (made only under the store lock, so all of them are dead). */
  List<Path> tempFiles() throws IOException {
    List<Path> out = new ArrayList<>(imageDb.tempLeftovers());
    out.addAll(refs.tempLeftovers());
    out.addAll(imageDb.metadataTempLeftovers());
    out.addAll(transactions.journal().leftovers());
    return out;
  }

  static List<Path> matching(Path dir, String glob) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      ds.forEach(out::add);
    }
    return out;
  }
}

package io.layerstore.store;

import io.layerstore.ChainId;
import io.layerstore.ImageId;
import io.layerstore.LayerStoreException;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link Transaction}, in a fixed order — publish layers, add images, set and remove
 * tags, delete images, release layers — so that it can be applied again from any point: each step
 * checks what is already there. That is what lets a change recorded by a process that was killed be
 * finished by another.
 */
final class TransactionApplier {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionApplier.class);

  private final LayerDb layerDb;
  private final ImageDb imageDb;
  private final ReferenceStore refs;
  private final GraphDriver driver;
  private final GarbageCollector gc;

  TransactionApplier(
      LayerDb layerDb,
      ImageDb imageDb,
      ReferenceStore refs,
      GraphDriver driver,
      GarbageCollector gc) {
    this.layerDb = layerDb;
    this.imageDb = imageDb;
    this.refs = refs;
    this.driver = driver;
    this.gc = gc;
  }

  /** What applying did. */
  record Result(
      List<String> untagged,
      List<ImageId> deletedImages,
      List<ChainId> deletedLayers,
      long bytesFreed) {}

  /** Applies {@code c}; the caller holds the store lock. */
  Result apply(Transaction c) throws IOException {
    for (int i = 0; i < c.layers().size(); i++) {
      publish(c, i);
    }
    for (Transaction.NewImage image : c.images()) {
      imageDb.put(image.config());
    }
    for (Transaction.Parent p : c.parents()) {
      if (imageDb.exists(p.id())) {
        imageDb.setParent(p.id(), p.parent());
      }
    }
    for (Transaction.Tagged t : c.lastUpdated()) {
      if (imageDb.exists(t.id())) {
        imageDb.setLastUpdated(t.id(), t.when());
      }
    }
    List<String> untagged = refs.apply(c.tags(), c.untags());
    List<ImageId> deleted = new ArrayList<>();
    for (ImageId id : c.deleteImages()) {
      if (imageDb.exists(id) || imageDb.hasMetadata(id)) {
        imageDb.delete(id);
        deleted.add(id);
      }
    }
    if (!c.deleteImages().isEmpty()) {
      // as Docker's image store does: children of a deleted image forget their parent
      for (ImageId other : imageDb.list()) {
        Optional<ImageId> parent = imageDb.parent(other);
        if (parent.isPresent() && c.deleteImages().contains(parent.get())) {
          imageDb.removeParent(other);
        }
      }
    }
    GarbageCollector.Released released = new GarbageCollector.Released(List.of(), 0);
    if (!c.release().isEmpty()) {
      released = gc.release(c.release(), gc.usage());
    }
    return new Result(untagged, deleted, released.layers(), released.bytes());
  }

  private void publish(Transaction c, int i) throws IOException {
    Transaction.NewLayer l = c.layers().get(i);
    Path ws = layerDb.writeSetDir(l.writeSet());
    boolean staged = Files.isDirectory(ws, LinkOption.NOFOLLOW_LINKS);
    Optional<LayerRecord> existing = layerDb.get(l.chainId());
    if (existing.isPresent()) {
      if (existing.get().cacheId().equals(l.cacheId())) {
        return; // published before a crash
      }
      // Registered by someone else meanwhile (chain locks make this impossible for layers that
      // others in this change sit on; a lone layer, as import makes, is simply dropped).
      if (i < c.layers().size() - 1) {
        throw new LayerStoreException(
            "layer "
                + l.chainId()
                + " was registered by another process while "
                + c.op()
                + " was publishing layers on top of it");
      }
      if (staged) {
        if (driver.exists(l.cacheId())) {
          driver.remove(l.cacheId());
        }
        LayerDb.deleteFlatDir(ws);
      }
      LOG.debug("layer {} existed already; dropped the copy {}", l.chainId(), l.cacheId());
      return;
    }
    if (!staged) {
      throw new LayerStoreException(
          "the staged layer "
              + l.chainId()
              + " ("
              + ws
              + ") of a "
              + c.op()
              + " is gone; the change cannot be finished");
    }
    layerDb.register(ws, l.chainId());
  }
}

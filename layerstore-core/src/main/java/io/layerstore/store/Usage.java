package io.layerstore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ChainId;
import io.layerstore.ImageId;
import io.layerstore.format.ImageConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who uses which layer, read from disk in one go: the layers (with their parents), the images
 * (every layer of their chain), and the container layers in {@code layerdb/mounts} (the image layer
 * each sits on, with its ancestors, and their own driver ids). Taken under the store lock, it stays
 * true while that lock is held; {@link #removed} keeps it true as layers go.
 */
final class Usage {
  private static final Logger LOG = LoggerFactory.getLogger(Usage.class);

  final Map<ChainId, LayerRecord> layers = new HashMap<>();
  final Map<ChainId, Integer> children = new HashMap<>();

  /** Layers some image's chain includes. */
  final Set<ChainId> byImages = new HashSet<>();

  /** Layers some container sits on, ancestors included. */
  final Set<ChainId> byContainers = new HashSet<>();

  /** Driver ids of container layers ({@code mount-id}, {@code init-id}). */
  final Set<String> containerDriverIds = new HashSet<>();

  /** Images whose config could not be read (their layers are unknown). */
  final List<ImageId> unreadableImages = new ArrayList<>();

  final Map<ImageId, List<ChainId>> imageChains = new HashMap<>();

  /** Each readable image's top layer (images without layers have none). */
  final Map<ImageId, ChainId> imageTops = new HashMap<>();

  private Usage() {}

  static Usage scan(LayerDb layerDb, ImageDb imageDb, ObjectMapper json) throws IOException {
    Usage u = new Usage();
    for (LayerRecord r : layerDb.list()) {
      u.layers.put(r.chainId(), r);
      if (r.parent() != null) {
        u.children.merge(r.parent(), 1, Integer::sum);
      }
    }
    for (ImageId id : imageDb.list()) {
      try {
        ImageConfig c = imageDb.config(id, json);
        List<ChainId> chain = ChainId.chain(c.diffIds());
        u.imageChains.put(id, chain);
        ChainId.top(c.diffIds()).ifPresent(top -> u.imageTops.put(id, top));
        u.byImages.addAll(chain);
      } catch (IOException e) {
        LOG.warn(
            "image {} is unreadable; its layers are not counted as used: {}", id, e.getMessage());
        u.unreadableImages.add(id);
      }
    }
    for (LayerDb.MountRecord m : layerDb.listMounts()) {
      for (ChainId c = m.parent(); c != null; ) {
        if (!u.byContainers.add(c)) {
          break;
        }
        LayerRecord r = u.layers.get(c);
        c = r == null ? null : r.parent();
      }
      if (m.mountId() != null) {
        u.containerDriverIds.add(m.mountId());
      }
      if (m.initId() != null) {
        u.containerDriverIds.add(m.initId());
      }
    }
    return u;
  }

  /** Whether an image, a container or a child layer needs {@code chain}. */
  boolean inUse(ChainId chain) {
    return byImages.contains(chain)
        || byContainers.contains(chain)
        || children.getOrDefault(chain, 0) > 0;
  }

  /** Whether some layer record or container layer has the driver id {@code cacheId}. */
  boolean driverIdInUse(String cacheId) {
    if (containerDriverIds.contains(cacheId)) {
      return true;
    }
    for (LayerRecord r : layers.values()) {
      if (r.cacheId().equals(cacheId)) {
        return true;
      }
    }
    return false;
  }

  /** Every driver id the store's records point at. */
  Set<String> driverIds() {
    Set<String> out = new HashSet<>(containerDriverIds);
    for (LayerRecord r : layers.values()) {
      out.add(r.cacheId());
    }
    return out;
  }

  /** Layers that nothing uses, deepest first (a child before its parent). */
  List<LayerRecord> unreferenced(Collection<ImageId> ignoringImages) {
    Set<ChainId> used = new HashSet<>(byContainers);
    for (Map.Entry<ImageId, List<ChainId>> e : imageChains.entrySet()) {
      if (!ignoringImages.contains(e.getKey())) {
        used.addAll(e.getValue());
      }
    }
    List<LayerRecord> out = new ArrayList<>();
    for (LayerRecord r : layers.values()) {
      if (!used.contains(r.chainId())) {
        out.add(r);
      }
    }
    out.sort((a, b) -> Integer.compare(depth(b), depth(a)));
    return out;
  }

  int depth(LayerRecord r) {
    int d = 0;
    for (ChainId p = r.parent(); p != null && d <= ImageConfig.MAX_LAYERS + 10; d++) {
      LayerRecord pr = layers.get(p);
      p = pr == null ? null : pr.parent();
    }
    return d;
  }

  /** Updates the picture after {@code r} was deleted. */
  void removed(LayerRecord r) {
    layers.remove(r.chainId());
    children.remove(r.chainId());
    if (r.parent() != null) {
      children.merge(r.parent(), -1, Integer::sum);
    }
  }
}

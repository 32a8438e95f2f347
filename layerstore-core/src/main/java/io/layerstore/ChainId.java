package io.layerstore;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Identity of a layer together with everything below it: for the base layer its diffID, for layer n
 * {@code sha256(chainID(n-1) + " " + diffID(n))}, both in {@code sha256:} form.
 */
public record ChainId(Digest digest) {
  public ChainId {
    if (digest == null) {
      throw new IllegalArgumentException("chainID digest is null");
    }
  }

  public static ChainId parse(String text) {
    return new ChainId(Digest.parse(text));
  }

  /** The chainID of {@code diffId} stacked on {@code parent} ({@code null} for a base layer). */
  public static ChainId of(ChainId parent, DiffId diffId) {
    if (parent == null) {
      return new ChainId(diffId.digest());
    }
    return new ChainId(Digest.of(parent + " " + diffId));
  }

  /** The chainIDs of every prefix of {@code diffIds}, base first. */
  public static List<ChainId> chain(List<DiffId> diffIds) {
    List<ChainId> out = new ArrayList<>(diffIds.size());
    ChainId parent = null;
    for (DiffId d : diffIds) {
      parent = of(parent, d);
      out.add(parent);
    }
    return out;
  }

  /**
   * The chainID of the topmost layer of an image with these diffIDs (the layer a container's layers
   * sit on, and the one a mount of the image stacks the others under), or empty for an image
   * without layers.
   */
  public static Optional<ChainId> top(List<DiffId> diffIds) {
    ChainId top = null;
    for (DiffId d : diffIds) {
      top = of(top, d);
    }
    return Optional.ofNullable(top);
  }

  @Override
  public String toString() {
    return digest.toString();
  }
}

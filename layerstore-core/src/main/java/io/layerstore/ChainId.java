package io.layerstore;

import java.util.ArrayList;
import java.util.List;

/**
 * Identity of a layer together with everything below it: for the base layer its diffID, for
 * layer n {@code sha256(chainID(n-1) + " " + diffID(n))}, both in {@code sha256:} form.
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

  @Override
  public String toString() {
    return digest.toString();
  }
}

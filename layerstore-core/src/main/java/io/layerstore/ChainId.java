package io.layerstore;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Identity of a layer together with everything below it: for the base layer its diffID, for layer n
 * {@code sha256(chainID(n-1) + " " + diffID(n))}, both in {@code sha256:} form.
 *
 * <p>The chainID, not the diffID, names a layer in the store: the same diffID on two different
 * parents is two different layers.
 *
 * @param digest the chainID itself
 */
public record ChainId(Digest digest) {
  /**
   * Checks the digest is present.
   *
   * @param digest the chainID itself
   * @throws IllegalArgumentException if {@code digest} is null
   */
  public ChainId {
    if (digest == null) {
      throw new IllegalArgumentException("chainID digest is null");
    }
  }

  /**
   * Parses a chainID in {@code sha256:<hex>} form (the bare 64-hex form is accepted too).
   *
   * @param text the chainID as text
   * @return the chainID
   * @throws IllegalArgumentException if {@code text} is null or not a sha256 digest
   */
  public static ChainId parse(String text) {
    return new ChainId(Digest.parse(text));
  }

  /**
   * The chainID of {@code diffId} stacked on {@code parent}.
   *
   * @param parent the chainID of the layer below, or {@code null} for a base layer
   * @param diffId the diffID of the layer on top
   * @return the layer's chainID; for a base layer, the diffID's own digest
   */
  public static ChainId of(ChainId parent, DiffId diffId) {
    if (parent == null) {
      return new ChainId(diffId.digest());
    }
    return new ChainId(Digest.of(parent + " " + diffId));
  }

  /**
   * The chainIDs of every prefix of {@code diffIds}, base first: element {@code i} names the layer
   * made of {@code diffIds[0..i]}.
   *
   * @param diffIds an image's diffIDs, base first
   * @return a new mutable list with one chainID per diffID, empty for an empty list
   */
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
   * sit on, and the one a mount of the image stacks the others under).
   *
   * @param diffIds an image's diffIDs, base first
   * @return the top chainID, or empty for an image without layers
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

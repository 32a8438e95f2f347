package io.layerstore.store;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import java.util.Objects;

/**
 * One registered image layer, as its {@code layerdb/sha256/<chainID>/} directory describes it.
 *
 * @param chainId identity of the layer with its parents
 * @param diffId sha256 of the layer's own tar
 * @param parent the parent's chainID, {@code null} for a base layer
 * @param cacheId the driver's id for the layer's directory
 * @param size bytes of the layer's content as the {@code size} file records it
 */
public record LayerRecord(
    ChainId chainId, DiffId diffId, ChainId parent, String cacheId, long size) {
  public LayerRecord {
    Objects.requireNonNull(chainId, "chainId");
    Objects.requireNonNull(diffId, "diffId");
    Objects.requireNonNull(cacheId, "cacheId");
  }
}

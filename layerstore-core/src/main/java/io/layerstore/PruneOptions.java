package io.layerstore;

/**
 * What {@link LayerStore#prune} removes, like {@code docker image prune [-a]}.
 *
 * <pre>{@code
 * store.prune(PruneOptions.defaults());        // dangling images and unused layers
 * store.prune(PruneOptions.defaults().all());  // also untagged parents
 * }</pre>
 *
 * @param untaggedParents also remove untagged images that are the parent of another image (Docker's
 *     {@code -a})
 */
public record PruneOptions(boolean untaggedParents) {

  /**
   * Dangling images (no tag, no child, no container) and the layers nothing uses.
   *
   * @return options without {@link #untaggedParents()}
   */
  public static PruneOptions defaults() {
    return new PruneOptions(false);
  }

  /**
   * Also untagged parents, as with {@code -a}.
   *
   * @return options with {@link #untaggedParents()} on
   */
  public PruneOptions all() {
    return new PruneOptions(true);
  }
}

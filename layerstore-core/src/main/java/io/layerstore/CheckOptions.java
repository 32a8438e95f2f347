package io.layerstore;

/**
 * How far {@link LayerStore#check} goes.
 *
 * <pre>{@code
 * store.check(CheckOptions.defaults());                  // metadata and directories only
 * store.check(CheckOptions.defaults().deep().repair());  // rehash every layer, remove leftovers
 * }</pre>
 *
 * @param rehashLayers also rebuild every layer's tar from its files and compare it with its diffID
 *     (reads every layer in full)
 * @param repairing remove what is safe to remove (leftovers of interrupted work, unused layers,
 *     references and records of images that are gone) and report the rest
 */
public record CheckOptions(boolean rehashLayers, boolean repairing) {

  /**
   * A read-only metadata check: not deep, no repair.
   *
   * @return options that check metadata and directories only, and change nothing
   */
  public static CheckOptions defaults() {
    return new CheckOptions(false, false);
  }

  /**
   * Also rehash every layer.
   *
   * @return a copy of these options with {@link #rehashLayers()} on
   */
  public CheckOptions deep() {
    return new CheckOptions(true, repairing);
  }

  /**
   * Also repair what is safe to repair.
   *
   * @return a copy of these options with {@link #repairing()} on
   */
  public CheckOptions repair() {
    return new CheckOptions(rehashLayers, true);
  }
}

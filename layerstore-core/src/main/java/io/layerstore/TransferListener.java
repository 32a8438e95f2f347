package io.layerstore;

/**
 * Hears how each layer of a {@link LayerStore#pull pull} or {@link LayerStore#push push} moves
 * along, as {@code docker pull} and {@code docker push} show it: one line per layer.
 *
 * <p>Called from the threads that move the layers, several at once: an implementation must be
 * thread-safe and quick (it runs on the transfer's own thread). An exception it throws is logged
 * and otherwise ignored: what the user sees must never fail a transfer.
 */
@FunctionalInterface
public interface TransferListener {

  /** Hears nothing. */
  TransferListener NONE = e -> {};

  /**
   * One step of one layer (or of the manifest, for the summary events).
   *
   * @param event what happened
   */
  void onEvent(TransferEvent event);
}

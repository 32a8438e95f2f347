package io.layerstore;

/**
 * An operation refused because of the store's state: an image still used by children or containers,
 * a layer still mounted, an ambiguous short id, a store opened with another driver.
 */
public class ConflictException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what conflicts, and with what (shown to the user as is)
   */
  public ConflictException(String message) {
    super(message);
  }
}

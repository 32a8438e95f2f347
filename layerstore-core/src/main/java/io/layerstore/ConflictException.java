package io.layerstore;

/**
 * An operation refused because of the store's state: an image still used by children or containers,
 * a layer still mounted, an ambiguous short id, a store opened with another driver.
 */
public class ConflictException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String message) {
    super(message);
  }
}

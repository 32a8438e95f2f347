package io.layerstore;

/** An image, reference, layer or container that the store does not have. */
public class NotFoundException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was looked for and not found, for a person
   */
  public NotFoundException(String message) {
    super(message);
  }
}

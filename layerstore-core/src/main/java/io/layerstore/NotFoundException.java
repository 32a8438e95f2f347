package io.layerstore;

/** An image, reference, layer or container that the store does not have. */
public class NotFoundException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(message);
  }
}

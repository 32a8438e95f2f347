package io.layerstore;

import java.io.IOException;

/**
 * Base of every error the store reports about its own data or its input. Subclasses say what was
 * wrong and where, so a caller can react and a person can read it.
 */
public class LayerStoreException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what went wrong and where, for a person
   */
  public LayerStoreException(String message) {
    super(message);
  }

  /**
   * Creates the exception with the failure underneath it.
   *
   * @param message what went wrong and where, for a person
   * @param cause the underlying failure, or {@code null}
   */
  public LayerStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}

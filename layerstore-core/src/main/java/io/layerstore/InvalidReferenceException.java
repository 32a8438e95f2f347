package io.layerstore;

/**
 * Text that is not a valid image reference ({@code name[:tag][@digest]}) where one is needed: a
 * malformed name, tag or digest, or a reference of a kind the operation cannot take. The message
 * names the text and what is wrong with it, as Docker's {@code invalid reference format} does.
 */
public class InvalidReferenceException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the text refused and why, for a person
   */
  public InvalidReferenceException(String message) {
    super(message);
  }

  /**
   * Creates the exception with the failure that revealed the problem.
   *
   * @param message the text refused and why, for a person
   * @param cause the underlying failure (a malformed digest)
   */
  public InvalidReferenceException(String message, Throwable cause) {
    super(message, cause);
  }
}

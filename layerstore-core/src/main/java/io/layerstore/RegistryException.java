package io.layerstore;

/**
 * A registry refused a request or answered in a way the client cannot accept: an HTTP error, an
 * answer that is not what the protocol says, a failed login, a transport that could not be made
 * safe. The message names the registry, the repository and, when one is involved, the digest, so a
 * person can tell which request went wrong.
 */
public class RegistryException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  /** The HTTP status of the answer, or 0 when there was no answer (serialized). */
  private final int status;

  /**
   * Creates the exception.
   *
   * @param message what went wrong, naming the registry, repository and digest
   */
  public RegistryException(String message) {
    this(message, 0, null);
  }

  /**
   * Creates the exception with the failure underneath it.
   *
   * @param message what went wrong, naming the registry, repository and digest
   * @param cause the underlying failure, or {@code null}
   */
  public RegistryException(String message, Throwable cause) {
    this(message, 0, cause);
  }

  /**
   * Creates the exception for an HTTP answer.
   *
   * @param message what went wrong, naming the registry, repository and digest
   * @param status the HTTP status the registry answered with, or 0 when there was none
   * @param cause the underlying failure, or {@code null}
   */
  public RegistryException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /**
   * The HTTP status the registry answered with.
   *
   * @return the status, or 0 when the failure was not an HTTP answer (a broken connection, a
   *     malformed document)
   */
  public int status() {
    return status;
  }
}

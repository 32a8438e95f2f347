package io.layerstore;

/** Content whose digest is not the one it was supposed to have. */
public class DigestMismatchException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  /** The expected digest, as text (serialized). */
  private final String expected;

  /** The actual digest, as text (serialized). */
  private final String actual;

  /** What the content is (serialized). */
  private final String source;

  /**
   * Creates the exception.
   *
   * @param expected the digest the content should have had (any object; kept as its string form)
   * @param actual the digest it has (any object; kept as its string form)
   * @param source what the content is, for the message: a file in an archive, a layer
   */
  public DigestMismatchException(Object expected, Object actual, String source) {
    super(source + ": digest mismatch: expected " + expected + ", got " + actual);
    this.expected = String.valueOf(expected);
    this.actual = String.valueOf(actual);
    this.source = source;
  }

  /**
   * The digest the content should have had.
   *
   * @return it, in the form it was given (usually {@code sha256:<hex>})
   */
  public String expected() {
    return expected;
  }

  /**
   * The digest the content has.
   *
   * @return it, in the form it was given (usually {@code sha256:<hex>})
   */
  public String actual() {
    return actual;
  }

  /**
   * What the content is: a file in an archive, a layer.
   *
   * @return the source as given, possibly null
   */
  public String source() {
    return source;
  }
}

package io.layerstore;

/** Content whose digest is not the one it was supposed to have. */
public class DigestMismatchException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  private final String expected;
  private final String actual;
  private final String source;

  public DigestMismatchException(Object expected, Object actual, String source) {
    super(source + ": digest mismatch: expected " + expected + ", got " + actual);
    this.expected = String.valueOf(expected);
    this.actual = String.valueOf(actual);
    this.source = source;
  }

  public String expected() {
    return expected;
  }

  public String actual() {
    return actual;
  }

  public String source() {
    return source;
  }
}

package io.layerstore;

/**
 * An archive, layer tarball, manifest or config that cannot be accepted. Names the input, the entry
 * inside it (if any) and the reason.
 */
public class InvalidArchiveException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  /** The archive or stream that was read, or null (serialized). */
  private final String source;

  /** The entry inside it, or null (serialized). */
  private final String entry;

  /** What is wrong (serialized). */
  private final String reason;

  /**
   * Creates the exception; the message is {@code source: entry "entry": reason}.
   *
   * @param source the archive or stream that was read, or {@code null} ({@code <input>} in the
   *     message)
   * @param entry the entry inside it, or {@code null} when the problem is not tied to one entry;
   *     shown with control characters escaped
   * @param reason what is wrong, for a person
   */
  public InvalidArchiveException(String source, String entry, String reason) {
    this(source, entry, reason, null);
  }

  /**
   * Creates the exception with the failure that revealed the problem (a decompression or parse
   * error).
   *
   * @param source the archive or stream that was read, or {@code null}
   * @param entry the entry inside it, or {@code null}
   * @param reason what is wrong, for a person
   * @param cause the underlying failure, or {@code null}
   */
  public InvalidArchiveException(String source, String entry, String reason, Throwable cause) {
    super(format(source, entry, reason), cause);
    this.source = source;
    this.entry = entry;
    this.reason = reason;
  }

  private static String format(String source, String entry, String reason) {
    StringBuilder sb = new StringBuilder();
    sb.append(source == null ? "<input>" : source);
    if (entry != null) {
      sb.append(": entry \"").append(printable(entry)).append('"');
    }
    sb.append(": ").append(reason);
    return sb.toString();
  }

  /**
   * Makes control characters in a name visible instead of garbling the message: every character
   * below U+0020 and DEL becomes {@code \xNN}; everything else is kept.
   *
   * @param s the name, not null
   * @return the name, safe to print
   */
  public static String printable(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * The archive or stream that was read.
   *
   * @return its name, or {@code null} when it was not known
   */
  public String source() {
    return source;
  }

  /**
   * The entry inside the archive.
   *
   * @return the entry name as it was read (not escaped), or {@code null} when the problem is not
   *     tied to one entry
   */
  public String entry() {
    return entry;
  }

  /**
   * What is wrong with the input, without the source and entry.
   *
   * @return the reason as given (for an {@link UnsafePathException}, starting with {@code unsafe
   *     path:})
   */
  public String reason() {
    return reason;
  }
}

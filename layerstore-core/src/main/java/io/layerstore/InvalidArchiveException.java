package io.layerstore;

/**
 * An archive, layer tarball, manifest or config that cannot be accepted. Names the input, the entry
 * inside it (if any) and the reason.
 */
public class InvalidArchiveException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String entry;
  private final String reason;

  public InvalidArchiveException(String source, String entry, String reason) {
    this(source, entry, reason, null);
  }

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

  /** Makes control characters in a name visible instead of garbling the message. */
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

  /** The archive or stream that was read. */
  public String source() {
    return source;
  }

  /** The entry inside it, or {@code null} when the problem is not tied to one entry. */
  public String entry() {
    return entry;
  }

  public String reason() {
    return reason;
  }
}

package io.layerstore.tarsplit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.layerstore.InvalidArchiveException;
import io.layerstore.gocompat.TarPaths;
import java.io.BufferedInputStream;
import java.io.CharConversionException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a tar-split file entry by entry, checking each as it comes: a store reads these back long
 * after writing them, so a damaged or foreign file must stop with a message naming the file and the
 * entry instead of producing a silently wrong layer tar.
 *
 * <p>Checked: known entry types, base64 payloads, non-negative sizes, consecutive positions, an
 * 8-byte checksum on every file entry with content, and no two file entries with the same cleaned
 * name (as tar-split refuses them too). Unknown JSON fields are ignored.
 */
public final class TarSplitReader implements TarSplitEntries {

  private static final JsonFactory JSON =
      JsonFactory.builder()
          // A segment holds at most ~1 MiB of padding plus headers; base64 of that is < 2 MB.
          .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(64 << 20).build())
          .build();

  private final InputStream in;
  private final JsonParser parser;
  private final String source;
  private final Set<String> seen = new HashSet<>();
  private int position;
  private boolean done;

  private TarSplitReader(InputStream in, String source) throws IOException {
    this.in = in;
    this.source = source;
    try {
      this.parser = JSON.createParser(in);
    } catch (IOException e) {
      in.close();
      throw wrap(e);
    }
  }

  /** Reads gzip-compressed tar-split ({@code tar-split.json.gz}). */
  public static TarSplitReader open(InputStream gzipped, String source) throws IOException {
    try {
      return new TarSplitReader(new GZIPInputStream(gzipped, 1 << 16), source);
    } catch (ZipException | EOFException e) {
      throw new InvalidArchiveException(source, null, "not a gzip stream: " + e.getMessage(), e);
    }
  }

  /** Reads uncompressed tar-split JSON lines. */
  public static TarSplitReader openUncompressed(InputStream json, String source)
      throws IOException {
    return new TarSplitReader(new BufferedInputStream(json, 1 << 16), source);
  }

  @Override
  public TarSplitEntry next() throws IOException {
    if (done) {
      return null;
    }
    JsonToken t;
    try {
      t = parser.nextToken();
    } catch (IOException e) {
      throw wrap(e);
    }
    if (t == null) {
      done = true;
      return null;
    }
    if (t != JsonToken.START_OBJECT) {
      throw invalid("expected a JSON object, found " + t, null);
    }
    try {
      return readEntry();
    } catch (IOException e) {
      throw wrap(e);
    }
  }

  /**
   * Every failure of the JSON or gzip layer as an error naming the file: besides malformed JSON and
   * damaged gzip, Jackson's encoding detection fails on bytes that look like UTF-16/32 with a plain
   * {@link CharConversionException} (found by fuzzing).
   */
  private IOException wrap(IOException e) {
    if (e instanceof InvalidArchiveException) {
      return e;
    }
    if (e instanceof JsonProcessingException j) {
      return invalid("malformed JSON: " + j.getOriginalMessage(), e);
    }
    if (e instanceof ZipException || e instanceof EOFException) {
      return invalid("truncated or corrupt gzip: " + e.getMessage(), e);
    }
    if (e instanceof CharConversionException) {
      return invalid("not UTF-8 JSON: " + e.getMessage(), e);
    }
    return e; // a read error of the underlying file, not a fault of its content
  }

  private TarSplitEntry readEntry() throws IOException {
    Long type = null;
    String name = "";
    byte[] nameRaw = null;
    long size = 0;
    byte[] payload = null;
    Long pos = null;
    for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
      if (t != JsonToken.FIELD_NAME) {
        throw invalid("unexpected " + t + " in entry", null);
      }
      String field = parser.currentName();
      JsonToken v = parser.nextToken();
      switch (field) {
        case "type":
          type = number(v, field);
          break;
        case "name":
          name = v == JsonToken.VALUE_NULL ? "" : text(v, field);
          break;
        case "name_raw":
          nameRaw = base64(v, field);
          break;
        case "size":
          size = v == JsonToken.VALUE_NULL ? 0 : number(v, field);
          break;
        case "payload":
          payload = base64(v, field);
          break;
        case "position":
          pos = number(v, field);
          break;
        default:
          parser.skipChildren();
      }
    }
    if (type == null) {
      throw invalid("entry " + position + " has no type", null);
    }
    TarSplitEntry.Type kind = TarSplitEntry.Type.ofCode(type);
    if (kind == null) {
      throw invalid("entry " + position + " has unknown type " + type, null);
    }
    if (size < 0) {
      throw invalid("entry " + position + " has negative size " + size, null);
    }
    if (pos == null || pos != position) {
      throw invalid("entry " + position + " has position " + pos + ", expected " + position, null);
    }
    if (kind == TarSplitEntry.Type.FILE) {
      if (size > 0 && (payload == null || payload.length != 8)) {
        throw invalid(
            "file entry "
                + position
                + " (\""
                + name
                + "\") has "
                + (payload == null ? "no checksum" : "a " + payload.length + "-byte checksum")
                + ", expected 8 bytes of CRC-64",
            null);
      }
      String key = nameRaw != null ? "\0raw:" + Base64.getEncoder().encodeToString(nameRaw) : name;
      if (!seen.add(nameRaw != null ? key : TarPaths.clean(name))) {
        throw new InvalidArchiveException(source, name, "duplicates of file paths not supported");
      }
    } else {
      if (payload == null) {
        payload = new byte[0];
      }
      size = 0;
    }
    return new TarSplitEntry(kind, name, nameRaw, size, payload, position++);
  }

  private long number(JsonToken v, String field) throws IOException {
    if (v != JsonToken.VALUE_NUMBER_INT) {
      throw invalid("field \"" + field + "\" of entry " + position + " is not an integer", null);
    }
    try {
      return parser.getLongValue();
    } catch (JsonProcessingException e) {
      throw invalid("field \"" + field + "\" of entry " + position + " is out of range", e);
    }
  }

  private String text(JsonToken v, String field) throws IOException {
    if (v != JsonToken.VALUE_STRING) {
      throw invalid("field \"" + field + "\" of entry " + position + " is not a string", null);
    }
    return parser.getText();
  }

  private byte[] base64(JsonToken v, String field) throws IOException {
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    String s = text(v, field);
    if (s.length() % 4 != 0) {
      throw invalid("field \"" + field + "\" of entry " + position + " is not padded base64", null);
    }
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw invalid(
          "field \"" + field + "\" of entry " + position + " is not base64: " + e.getMessage(), e);
    }
  }

  private InvalidArchiveException invalid(String reason, Throwable cause) {
    return new InvalidArchiveException(source, null, "tar-split: " + reason, cause);
  }

  @Override
  public void close() throws IOException {
    try {
      parser.close();
    } finally {
      in.close();
    }
  }
}

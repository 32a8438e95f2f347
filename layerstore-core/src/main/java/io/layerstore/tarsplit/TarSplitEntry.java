package io.layerstore.tarsplit;

import java.util.Arrays;
import java.util.Objects;

/**
 * One line of a tar-split file: either raw bytes of the tar stream (headers, padding, end blocks)
 * that are kept verbatim, or a reference to a member's file content, which is kept outside (in the
 * layer's files) and checked by its CRC-64 when reassembled.
 *
 * @param type segment or file
 * @param name member name as Go's tar reader resolved it; "" for segments or when {@link #nameRaw}
 *     is used
 * @param nameRaw the name's bytes when they are not valid UTF-8 (tar-split's {@code name_raw}),
 *     else null
 * @param size file content size (the header's size), 0 for segments
 * @param payload segment bytes, or the 8-byte big-endian CRC-64 of a file (null when the file has
 *     size 0)
 * @param position index of this entry in the file, counting from 0
 */
public record TarSplitEntry(
    Type type, String name, byte[] nameRaw, long size, byte[] payload, int position) {

  /** tar-split's numeric entry types. */
  public enum Type {
    FILE(1),
    SEGMENT(2);

    private final int code;

    Type(int code) {
      this.code = code;
    }

    /** The number stored in the {@code type} field. */
    public int code() {
      return code;
    }

    /** The type for a stored number, or null if there is none. */
    static Type ofCode(long code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return null;
    }
  }

  public TarSplitEntry {
    Objects.requireNonNull(type, "type");
    name = name == null ? "" : name;
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
  }

  public static TarSplitEntry segment(byte[] bytes, int position) {
    return new TarSplitEntry(Type.SEGMENT, "", null, 0, bytes, position);
  }

  public static TarSplitEntry file(String name, long size, byte[] crc, int position) {
    return new TarSplitEntry(Type.FILE, name, null, size, crc, position);
  }

  public boolean isSegment() {
    return type == Type.SEGMENT;
  }

  public boolean isFile() {
    return type == Type.FILE;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TarSplitEntry e
        && type == e.type
        && name.equals(e.name)
        && Arrays.equals(nameRaw, e.nameRaw)
        && size == e.size
        && Arrays.equals(payload, e.payload)
        && position == e.position;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        type, name, Arrays.hashCode(nameRaw), size, Arrays.hashCode(payload), position);
  }

  @Override
  public String toString() {
    return type == Type.SEGMENT
        ? "segment#" + position + "(" + (payload == null ? 0 : payload.length) + " bytes)"
        : "file#" + position + "(" + name + ", " + size + " bytes, crc " + Crc64.hex(payload) + ")";
  }
}

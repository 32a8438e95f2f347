package io.layerstore.testkit;

import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * One line per member of a tar, in archive order, for comparing layer and export tars made by
 * different writers: {@code name type mode uid:gid size sha256|link [xattrs] [mtime]}. The mode is
 * the header's whole mode field (Docker writes file-type bits into it); user and group names are
 * left out (they depend on the writer's host). A hardlink or symlink shows its target; a regular
 * file's link name (Docker leaves stale ones on hardlinked whiteouts) is ignored.
 */
public final class TarListing {

  private TarListing() {}

  /**
   * Lists {@code tar}. The stream is read to its end and closed.
   *
   * @param tar an uncompressed tar
   * @param withMtime whether to add the mtime (whole seconds)
   * @param xattrs which extended attributes to list, by full name
   * @return one line per member, in archive order
   * @throws IOException if the stream is not a valid tar or cannot be read
   */
  public static List<String> of(InputStream tar, boolean withMtime, Predicate<String> xattrs)
      throws IOException {
    List<String> lines = new ArrayList<>();
    try (TarReader r = new TarReader(tar, "tar")) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        StringBuilder sb =
            new StringBuilder(h.name())
                .append(' ')
                .append((char) (h.typeflag() == 0 ? '0' : h.typeflag()));
        sb.append(String.format(" %07o %d:%d %d", h.mode(), h.uid(), h.gid(), h.size()));
        if (h.isRegular()) {
          sb.append(' ').append(sha256(r.content()));
        } else if (h.isSymlink() || h.isHardlink()) {
          sb.append(" -> ").append(h.linkName());
        } else if (h.typeflag() == TarHeader.CHAR_DEVICE
            || h.typeflag() == TarHeader.BLOCK_DEVICE) {
          sb.append(" dev=").append(h.devMajor()).append(',').append(h.devMinor());
        }
        Map<String, byte[]> x = new TreeMap<>(h.xattrs());
        x.keySet().removeIf(xattrs.negate());
        for (Map.Entry<String, byte[]> e : x.entrySet()) {
          sb.append(' ')
              .append(e.getKey())
              .append('=')
              .append(HexFormat.of().formatHex(e.getValue()));
        }
        if (withMtime) {
          sb.append(' ').append(h.mtime().getEpochSecond());
        }
        lines.add(sb.toString());
      }
    }
    return lines;
  }

  private static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      byte[] b = new byte[65536];
      for (int n; (n = in.read(b)) > 0; ) {
        d.update(b, 0, n);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}

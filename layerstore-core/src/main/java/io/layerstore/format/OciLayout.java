package io.layerstore.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * An OCI image layout (image-spec {@code image-layout.md}): {@code oci-layout}, {@code index.json}
 * and {@code blobs/<alg>/<hex>}, as a directory or as a tar of one. Blobs are found by digest only,
 * so a name can never leave the layout; what could still lead out, a symlink on the way to a blob,
 * is refused (a layout has no reason to hold one, and following it would read outside). Every blob
 * is checked against its descriptor: a stream fails when more bytes come than the size declared,
 * and at its end when fewer came or they hash to another digest.
 */
public final class OciLayout {

  /** The file naming the layout version. */
  public static final String LAYOUT_FILE = "oci-layout";

  /** The layout's top index. */
  public static final String INDEX_FILE = "index.json";

  /** The directory of blobs. */
  public static final String BLOBS_DIR = "blobs";

  private static final int MAX_LAYOUT_FILE = 64 * 1024;

  private final Path dir;
  private final ArchiveIndex tar;
  private final String source;

  private OciLayout(Path dir, ArchiveIndex tar, String source) {
    this.dir = dir;
    this.tar = tar;
    this.source = source;
  }

  /**
   * Whether {@code archive} is a tar holding an OCI layout (it has an {@code oci-layout} file).
   *
   * @param archive an indexed tar
   * @return true if the tar holds an {@code oci-layout} member
   * @throws IOException if the index cannot be consulted
   */
  public static boolean isLayout(ArchiveIndex archive) throws IOException {
    return archive.contains(LAYOUT_FILE);
  }

  /**
   * A layout directory; checks its {@code oci-layout}.
   *
   * @param dir the directory
   * @param json the mapper to read with
   * @return the layout
   * @throws InvalidArchiveException if it is not a layout or declares another version
   * @throws IOException if it cannot be read
   */
  public static OciLayout openDirectory(Path dir, ObjectMapper json) throws IOException {
    OciLayout layout = new OciLayout(dir, null, dir.toString());
    layout.checkVersion(json);
    return layout;
  }

  /**
   * A layout inside an indexed tar; checks its {@code oci-layout}. The tar stays its owner's to
   * close.
   *
   * @param archive the tar
   * @param json the mapper to read with
   * @return the layout
   * @throws InvalidArchiveException if it is not a layout or declares another version
   * @throws IOException if it cannot be read
   */
  public static OciLayout openTar(ArchiveIndex archive, ObjectMapper json) throws IOException {
    OciLayout layout = new OciLayout(null, archive, archive.source());
    layout.checkVersion(json);
    return layout;
  }

  /**
   * The directory or tar the layout is in, for messages.
   *
   * @return its path as text
   */
  public String source() {
    return source;
  }

  private void checkVersion(ObjectMapper json) throws IOException {
    byte[] raw = readFile(LAYOUT_FILE, MAX_LAYOUT_FILE);
    JsonNode v;
    try {
      v = json.readTree(raw);
    } catch (IOException e) {
      throw new InvalidArchiveException(source, LAYOUT_FILE, "not valid JSON", e);
    }
    JsonNode version = v == null ? null : v.get("imageLayoutVersion");
    if (version == null || !version.isTextual()) {
      throw new InvalidArchiveException(source, LAYOUT_FILE, "no imageLayoutVersion");
    }
    if (!version.asText().equals(MediaTypes.LAYOUT_VERSION)) {
      throw new InvalidArchiveException(
          source,
          LAYOUT_FILE,
          "unknown imageLayoutVersion \""
              + InvalidArchiveException.printable(version.asText())
              + "\"; only "
              + MediaTypes.LAYOUT_VERSION
              + " is supported");
    }
  }

  /**
   * The bytes of {@code index.json}.
   *
   * @return the top index as stored
   * @throws InvalidArchiveException if it is missing or too large
   * @throws IOException if it cannot be read
   */
  public byte[] indexJson() throws IOException {
    return readFile(INDEX_FILE, OciManifest.MAX_BYTES);
  }

  private byte[] readFile(String name, int limit) throws IOException {
    if (tar != null) {
      if (!tar.contains(name)) {
        throw new InvalidArchiveException(source, name, "no such file in the OCI layout");
      }
      return tar.readSmall(name, limit);
    }
    Path p = dir.resolve(name);
    BasicFileAttributes a = regularFile(p, name);
    if (a.size() > limit) {
      throw new InvalidArchiveException(
          source, name, "is " + a.size() + " bytes, more than the " + limit + " allowed");
    }
    return Files.readAllBytes(p);
  }

  /** The attributes of a regular file reached without any symlink on the way. */
  private BasicFileAttributes regularFile(Path p, String name) throws IOException {
    // Every component below the layout's directory, the file included, is checked unfollowed.
    Path rel = dir.relativize(p);
    Path cur = dir;
    BasicFileAttributes a = null;
    for (Path part : rel) {
      cur = cur.resolve(part.toString());
      try {
        a = Files.readAttributes(cur, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new InvalidArchiveException(source, name, "no such file in the OCI layout");
      }
      if (a.isSymbolicLink()) {
        throw new InvalidArchiveException(
            source, name, dir.relativize(cur) + " is a symlink; a layout's blobs may not be");
      }
    }
    if (a == null || !a.isRegularFile()) {
      throw new InvalidArchiveException(source, name, "not a regular file in the OCI layout");
    }
    return a;
  }

  /** {@code blobs/sha256/<hex>} of a digest. */
  static String blobName(Digest d) {
    return BLOBS_DIR + "/" + Digest.ALGORITHM + "/" + d.hex();
  }

  /**
   * Reads a small blob whole and checks it against its descriptor.
   *
   * @param d the descriptor pointing to it
   * @param where which descriptor, e.g. {@code manifests[0]}, for messages
   * @param limit most bytes accepted (the descriptor's size must not be larger)
   * @return the blob's bytes
   * @throws InvalidArchiveException if the blob is missing, unsafe, larger than the limit, or its
   *     size or digest differs from the descriptor's
   * @throws IOException if it cannot be read
   */
  public byte[] readBlob(Descriptor d, String where, int limit) throws IOException {
    if (d.size() > limit) {
      throw new InvalidArchiveException(
          source,
          where,
          "descriptor of " + d.digest() + " declares " + d.size() + " bytes, more than " + limit);
    }
    try (InputStream in = openBlob(d, where)) {
      return in.readAllBytes();
    }
  }

  /**
   * Opens a blob; the stream checks it against its descriptor as it is read (see the class
   * comment). Closing it before its end reads the rest, so the check always happens.
   *
   * @param d the descriptor pointing to it
   * @param where which descriptor, for messages
   * @return the checked stream
   * @throws InvalidArchiveException if the blob is missing or reached through a symlink
   * @throws IOException if it cannot be opened
   */
  public InputStream openBlob(Descriptor d, String where) throws IOException {
    ArchiveIndex.Member m = checkBlob(d, where);
    InputStream raw =
        m != null
            ? tar.open(m)
            : Files.newInputStream(dir.resolve(blobName(d.digest())), LinkOption.NOFOLLOW_LINKS);
    return new CheckedBlob(raw, d, source, where);
  }

  /**
   * Checks, without reading it, that a blob is there as its descriptor says: a regular file,
   * reached without a link, of the size declared. A loader checks every layer so before it takes
   * any lock or makes any directory; the content is checked as it is read.
   *
   * @param d the descriptor pointing to it
   * @param where which descriptor, for messages
   * @return the blob's member in a tar layout, or null in a directory layout
   * @throws InvalidArchiveException if the blob is missing, a link, not a regular file, or of
   *     another size
   * @throws IOException if it cannot be looked at
   */
  public ArchiveIndex.Member checkBlob(Descriptor d, String where) throws IOException {
    String name = blobName(d.digest());
    ArchiveIndex.Member m = null;
    long actualSize;
    if (tar != null) {
      try {
        m = tar.find(name);
      } catch (InvalidArchiveException e) {
        // A link that leads out of the archive, or around in circles.
        throw new InvalidArchiveException(
            source, where, "blob " + d.digest() + ": " + e.reason(), e);
      }
      if (m == null) {
        throw new InvalidArchiveException(
            source, where, "blob " + d.digest() + " is not in the layout (" + name + ")");
      }
      if (!m.name().equals(name)) {
        // find() followed a link: a layout's blobs are files, never links.
        throw new InvalidArchiveException(
            source,
            where,
            "blob " + name + " is a link in the archive; a layout's blobs may not be");
      }
      if (!m.header().isRegular()) {
        throw new InvalidArchiveException(source, where, name + " is not a regular file");
      }
      actualSize = m.size();
    } else {
      try {
        actualSize = regularFile(dir.resolve(name), name).size();
      } catch (InvalidArchiveException e) {
        throw new InvalidArchiveException(
            source, where, "blob " + d.digest() + ": " + e.reason(), e);
      }
    }
    if (actualSize != d.size()) {
      throw new InvalidArchiveException(
          source,
          where,
          "descriptor of "
              + d.digest()
              + " declares "
              + d.size()
              + " bytes, but the blob has "
              + actualSize);
    }
    return m;
  }
}

package io.layerstore.trust;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import io.layerstore.SignBy;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where a registry's signatures are kept, as a registries.d directory says: the lookaside of simple
 * signatures (read for pulls, written for pushes) and whether sigstore attachments are used.
 * Without a configured lookaside, containers/image's built-in one is used: {@code
 * /var/lib/containers/sigstore} for root, {@code $HOME/.local/share/containers/sigstore} for
 * others.
 */
public final class SignatureStorage {

  private final RegistriesD config;
  private final Path dir;
  private final Path home;
  private final boolean root;
  private HttpClient http;

  private SignatureStorage(RegistriesD config, Path dir, Path home, boolean root) {
    this.config = config;
    this.dir = dir;
    this.home = home;
    this.root = root;
  }

  /**
   * Reads a registries.d directory.
   *
   * @param registriesD the directory; one that does not exist configures nothing
   * @return the storage it describes
   * @throws LayerStoreException when a file is malformed or two files define one scope
   */
  public static SignatureStorage load(Path registriesD) throws LayerStoreException {
    String h = System.getenv("HOME");
    Path home = Path.of(h != null && !h.isEmpty() ? h : System.getProperty("user.home"));
    return new SignatureStorage(
        RegistriesD.load(registriesD), registriesD, home, effectiveUidIsRoot());
  }

  /**
   * Whether the image's sigstore signatures are attached to its repository.
   *
   * @param ref the image
   * @return {@code use-sigstore-attachments} of the most specific scope that sets it; false
   *     otherwise
   */
  public boolean useSigstoreAttachments(Reference ref) {
    return config.useSigstoreAttachments(ref);
  }

  /**
   * Reads the simple signatures of a manifest from the lookaside.
   *
   * @param ref the image (its repository names the lookaside directory)
   * @param manifestDigest the manifest signed
   * @return the raw signatures, in order; each at most one byte over the size limit
   * @throws IOException when the lookaside cannot be read (a missing signature is not an error)
   */
  public List<byte[]> readSimpleSignatures(Reference ref, Digest manifestDigest)
      throws IOException {
    return lookaside(ref, false).read(ref, manifestDigest, http());
  }

  /**
   * Adds a simple signature to the lookaside (the staging one when registries.d names it).
   *
   * @param ref the image
   * @param manifestDigest the manifest signed
   * @param signature the OpenPGP signed message
   * @return where it was written
   * @throws IOException when the lookaside cannot be written, or is not a {@code file://} URL
   */
  public URI writeSimpleSignature(Reference ref, Digest manifestDigest, byte[] signature)
      throws IOException {
    return lookaside(ref, true).write(ref, manifestDigest, signature);
  }

  /**
   * Refuses, before anything is pushed, a signature that could not be stored or would never be
   * read: as containers/image, sigstore signatures are attached only where registries.d sets {@code
   * use-sigstore-attachments: true} (where pulls read them).
   *
   * @param kind the signature the push will make
   * @param ref the image pushed
   * @throws LayerStoreException naming the repository and the setting
   */
  public void checkWritable(SignBy.Kind kind, Reference ref) throws LayerStoreException {
    if (kind == SignBy.Kind.SIGSTORE && !useSigstoreAttachments(ref)) {
      throw new LayerStoreException(
          "cannot sign "
              + DockerNames.full(ref)
              + " with a sigstore key: registries.d ("
              + dir
              + ") does not set use-sigstore-attachments: true for it, so its signatures would"
              + " be neither written nor read there (as for containers/image)");
    }
  }

  Lookaside lookaside(Reference ref, boolean write) throws LayerStoreException {
    String url = config.lookaside(ref, write);
    if (url == null) {
      Path dir =
          root
              ? Path.of("/var/lib/containers/sigstore")
              : home.resolve(".local/share/containers/sigstore");
      return new Lookaside(dir.toUri());
    }
    try {
      URI uri = new URI(url);
      if (uri.getScheme() == null) {
        throw new URISyntaxException(url, "no scheme (file://, http://, https://)");
      }
      return new Lookaside(uri);
    } catch (URISyntaxException e) {
      throw new LayerStoreException(
          "registries.d names an invalid lookaside URL \"" + url + "\": " + e.getMessage(), e);
    }
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(30))
              .followRedirects(HttpClient.Redirect.NORMAL)
              .build();
    }
    return http;
  }

  /** containers/image picks its default lookaside by the effective uid, not the user name. */
  private static boolean effectiveUidIsRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).trim().split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }
}

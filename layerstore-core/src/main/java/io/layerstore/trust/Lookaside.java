package io.layerstore.trust;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The lookaside: simple signatures kept beside a registry, at {@code
 * <base>/<repository>@sha256=<hex>/signature-<N>} with N from 1 up to the first missing one, as
 * containers/image lays them out ({@code docs/signature-protocols.md}). It owns the paths of that
 * area. {@code file://} bases are read and written; {@code http(s)://} bases are read, through the
 * JDK's HttpClient, a 404 ending the list.
 */
final class Lookaside {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final URI base;

  Lookaside(URI base) {
    this.base = base;
  }

  URI base() {
    return base;
  }

  /** The URL of signature number {@code n} (from 1) of the manifest, in the image's repository. */
  URI signature(Reference ref, Digest manifest, int n) {
    String path =
        (base.getPath() == null ? "" : base.getPath())
            + "/"
            + ref.path()
            + "@sha256="
            + manifest.hex()
            + "/signature-"
            + n;
    try {
      return new URI(
          base.getScheme(),
          base.getRawAuthority() == null ? null : base.getAuthority(),
          path,
          null,
          null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("cannot make a lookaside URL under " + base, e);
    }
  }

  /**
   * Every signature of the manifest, each read up to one byte past the size limit so the verifier
   * can refuse an oversized one by name.
   */
  List<byte[]> read(Reference ref, Digest manifest, HttpClient http) throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (int n = 1; ; n++) {
      if (n > Limits.MAX_SIGNATURES) {
        throw new LayerStoreException(
            "the lookaside "
                + base
                + " holds more than "
                + Limits.MAX_SIGNATURES
                + " signatures for "
                + manifest
                + "; refusing to read on");
      }
      URI uri = signature(ref, manifest, n);
      byte[] sig = readOne(uri, http);
      if (sig == null) {
        return out;
      }
      out.add(sig);
    }
  }

  private byte[] readOne(URI uri, HttpClient http) throws IOException {
    switch (scheme()) {
      case "file":
        try (InputStream in = Files.newInputStream(Path.of(uri))) {
          return in.readNBytes(Limits.MAX_SIGNATURE_BYTES + 1);
        } catch (NoSuchFileException e) {
          return null;
        }
      case "http":
      case "https":
        {
          HttpRequest req = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build();
          HttpResponse<InputStream> resp;
          try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + uri, e);
          }
          try (InputStream body = resp.body()) {
            if (resp.statusCode() == 404) {
              return null;
            }
            if (resp.statusCode() != 200) {
              throw new LayerStoreException(
                  "the lookaside answered " + resp.statusCode() + " for " + uri);
            }
            return body.readNBytes(Limits.MAX_SIGNATURE_BYTES + 1);
          }
        }
      default:
        throw new LayerStoreException(
            "unsupported lookaside URL " + base + " (file://, http:// and https:// are)");
    }
  }

  /** Adds a signature after the existing ones; a file:// base only. Returns where it went. */
  URI write(Reference ref, Digest manifest, byte[] signature) throws IOException {
    if (!scheme().equals("file")) {
      throw new LayerStoreException(
          "cannot write signatures to the lookaside "
              + base
              + ": only file:// can be written (set lookaside-staging to a file:// URL in"
              + " registries.d and publish it from there)");
    }
    for (int n = 1; n <= Limits.MAX_SIGNATURES; n++) {
      URI uri = signature(ref, manifest, n);
      Path target = Path.of(uri);
      if (Files.exists(target)) {
        continue;
      }
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), ".signature-", ".tmp");
      try {
        Files.write(tmp, signature);
        // A reader lists signature-1, -2, ... up to the first gap: the file appears whole or not
        // at all, and never leaves a gap behind it.
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return uri;
    }
    throw new LayerStoreException(
        "the lookaside "
            + base
            + " already holds "
            + Limits.MAX_SIGNATURES
            + " signatures for "
            + manifest);
  }

  private String scheme() {
    return base.getScheme() == null ? "" : base.getScheme().toLowerCase(java.util.Locale.ROOT);
  }
}

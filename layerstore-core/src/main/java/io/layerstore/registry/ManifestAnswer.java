package io.layerstore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.Digest;
import io.layerstore.DigestMismatchException;
import io.layerstore.RegistryException;
import io.layerstore.format.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A registry's 200 answer to a manifest request, checked before anything else sees it: bounded in
 * size (refused on its {@code Content-Length} before a byte is read, or once the body passes the
 * limit), not a web page, a JSON object, not schema 1, one of the four media types this client asks
 * for, and hashing to the digest asked for and to the registry's {@code Docker-Content-Digest}.
 */
final class ManifestAnswer {

  /** What a manifest request accepts, as docker and containerd ask. */
  static final List<String> TYPES =
      List.of(
          MediaTypes.OCI_MANIFEST,
          MediaTypes.OCI_INDEX,
          MediaTypes.DOCKER_MANIFEST,
          MediaTypes.DOCKER_MANIFEST_LIST);

  private static final Set<String> SCHEMA1_TYPES =
      Set.of(
          "application/vnd.docker.distribution.manifest.v1+json",
          "application/vnd.docker.distribution.manifest.v1+prettyjws");

  /** Media types that say nothing about a manifest; its own {@code mediaType} field decides. */
  private static final Set<String> GENERIC_TYPES =
      Set.of("application/json", "application/octet-stream", "text/plain");

  private static final ObjectMapper JSON = new ObjectMapper();

  private ManifestAnswer() {}

  /**
   * Reads and checks the answer; {@code ref} is the tag or {@link Digest} asked for, {@code what}
   * names the request in errors.
   */
  static FetchedManifest check(HttpResponse<InputStream> r, Object ref, String what, long max)
      throws IOException {
    byte[] raw;
    try (InputStream in = r.body()) {
      long declared = r.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared > max) {
        throw tooLarge(what, declared + " bytes", max);
      }
      Optional<String> type = Answers.mediaType(r);
      if (type.isPresent() && (type.get().startsWith("text/html") || type.get().contains("xml"))) {
        throw new RegistryException(
            what + ": the registry answered with " + type.get() + " (a web page?), not a manifest");
      }
      raw = in.readNBytes((int) max + 1);
      if (raw.length > max) {
        throw tooLarge(what, "more than " + max + " bytes", max);
      }
    }
    Digest actual = Digest.of(raw);
    if (ref instanceof Digest wanted && !wanted.equals(actual)) {
      throw new DigestMismatchException(wanted, actual, what + ": manifest does not hash to it");
    }
    Optional<String> claimed = r.headers().firstValue("Docker-Content-Digest");
    if (claimed.isPresent()
        && claimed.get().startsWith(Digest.ALGORITHM + ":")
        && !claimed.get().equals(actual.toString())) {
      throw new DigestMismatchException(
          claimed.get(),
          actual,
          what + ": manifest does not hash to the registry's Docker-Content-Digest");
    }
    return new FetchedManifest(actual, mediaType(what, r, raw), raw);
  }

  static RegistryException tooLarge(String what, String size, long max) {
    return new RegistryException(
        what
            + ": manifest is "
            + size
            + ", over the limit of "
            + max
            + " bytes (maxManifestBytes)");
  }

  /** The manifest's media type: the header's, or its own {@code mediaType} for a generic header. */
  private static String mediaType(String what, HttpResponse<?> r, byte[] raw)
      throws RegistryException {
    JsonNode doc;
    try {
      doc = JSON.readTree(raw);
    } catch (IOException e) {
      throw new RegistryException(
          what + ": the registry's answer is not JSON, so not a manifest", e);
    }
    if (doc == null || !doc.isObject()) {
      throw new RegistryException(what + ": the registry's answer is not a JSON object");
    }
    String header = Answers.mediaType(r).orElse("");
    String field = doc.path("mediaType").asText("");
    if (SCHEMA1_TYPES.contains(header)
        || SCHEMA1_TYPES.contains(field)
        || doc.path("schemaVersion").asInt(2) == 1) {
      throw new RegistryException(
          what + ": unsupported manifest schema 1 (push the image again with a current docker)");
    }
    String type = header.isEmpty() || GENERIC_TYPES.contains(header) ? field : header;
    if (!TYPES.contains(type)) {
      throw new RegistryException(
          what
              + ": unsupported manifest media type \""
              + (type.isEmpty() ? header : type)
              + "\"; expected one of "
              + TYPES);
    }
    if (!field.isEmpty() && !field.equals(type)) {
      throw new RegistryException(
          what + ": served as " + type + " but the document says it is " + field);
    }
    return type;
  }
}

package io.layerstore.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An OCI content descriptor: what a manifest or index says about a blob it points to. Parsed
 * strictly, since every field steers what is read next: a digest we can't verify or a negative size
 * is refused here, before any blob is opened.
 *
 * @param mediaType the blob's media type
 * @param digest the blob's sha256 (the only algorithm this store keeps)
 * @param size the blob's exact length in bytes
 * @param annotations the descriptor's annotations, in the order written; empty if none
 * @param platform the platform an index entry is for, if it says
 */
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    Map<String, String> annotations,
    Optional<OciPlatform> platform) {

  /** The annotation an OCI layout names an image's reference with. */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  /** The annotation containerd's export names an image with (the full reference). */
  public static final String CONTAINERD_IMAGE_NAME = "io.containerd.image.name";

  /** Copies the annotations. */
  public Descriptor {
    annotations = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(annotations));
  }

  /**
   * A descriptor without annotations or platform.
   *
   * @param mediaType the blob's media type
   * @param digest the blob's digest
   * @param size the blob's length
   * @return the descriptor
   */
  public static Descriptor of(String mediaType, Digest digest, long size) {
    return new Descriptor(mediaType, digest, size, Map.of(), Optional.empty());
  }

  /**
   * Reads a descriptor object.
   *
   * @param node the JSON object
   * @param source where it came from (the file or blob), for error messages
   * @param where which descriptor it is, e.g. {@code manifests[2]}, for error messages
   * @return the descriptor
   * @throws InvalidArchiveException if a field is missing, of the wrong type, or not a valid digest
   *     or size
   */
  public static Descriptor parse(JsonNode node, String source, String where)
      throws InvalidArchiveException {
    if (node == null || !node.isObject()) {
      throw new InvalidArchiveException(source, where, "descriptor is not a JSON object");
    }
    String mediaType = text(node, "mediaType", source, where);
    String digestText = text(node, "digest", source, where);
    if (!digestText.startsWith(Digest.ALGORITHM + ":")) {
      throw new InvalidArchiveException(
          source,
          where,
          "unsupported digest algorithm in \""
              + InvalidArchiveException.printable(digestText)
              + "\"; only sha256 is supported");
    }
    if (!Digest.isValid(digestText)) {
      throw new InvalidArchiveException(
          source,
          where,
          "invalid digest \"" + InvalidArchiveException.printable(digestText) + "\"");
    }
    JsonNode size = node.get("size");
    if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
      throw new InvalidArchiveException(
          source, where, "descriptor of " + digestText + " has no valid size");
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    JsonNode a = node.get("annotations");
    if (a != null && !a.isNull()) {
      if (!a.isObject()) {
        throw new InvalidArchiveException(source, where, "annotations is not a JSON object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw new InvalidArchiveException(
              source, where, "annotation " + e.getKey() + " is not a string");
        }
        annotations.put(e.getKey(), e.getValue().asText());
      }
    }
    Optional<OciPlatform> platform = Optional.empty();
    JsonNode p = node.get("platform");
    if (p != null && !p.isNull()) {
      if (!p.isObject()) {
        throw new InvalidArchiveException(source, where, "platform is not a JSON object");
      }
      platform =
          Optional.of(
              new OciPlatform(
                  text(p, "os", source, where + ".platform"),
                  text(p, "architecture", source, where + ".platform"),
                  p.path("variant").asText("")));
    }
    return new Descriptor(
        mediaType, Digest.parse(digestText), size.asLong(), annotations, platform);
  }

  private static String text(JsonNode node, String field, String source, String where)
      throws InvalidArchiveException {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw new InvalidArchiveException(source, where, "missing or non-string \"" + field + "\"");
    }
    return v.asText();
  }

  /**
   * The reference an OCI layout gives this image: {@code io.containerd.image.name} if present (a
   * full reference), else {@code org.opencontainers.image.ref.name}.
   *
   * @return the annotation's value, if either is present
   */
  public Optional<String> referenceName() {
    String full = annotations.get(CONTAINERD_IMAGE_NAME);
    return Optional.ofNullable(full != null ? full : annotations.get(REF_NAME));
  }

  /**
   * This descriptor as a JSON object, with fields in the order Go's image-spec types marshal them
   * ({@code mediaType}, {@code digest}, {@code size}, {@code annotations}, {@code platform}), so
   * the bytes match what containerd and skopeo write.
   *
   * @return a new JSON object
   */
  public ObjectNode toJson() {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("mediaType", mediaType);
    n.put("digest", digest.toString());
    n.put("size", size);
    if (!annotations.isEmpty()) {
      ObjectNode a = n.putObject("annotations");
      // Go marshals a map with its keys sorted.
      annotations.keySet().stream()
          .sorted(io.layerstore.gocompat.GoJson::compareUtf8)
          .forEach(k -> a.put(k, annotations.get(k)));
    }
    platform.ifPresent(
        p -> {
          ObjectNode o = n.putObject("platform");
          o.put("architecture", p.architecture());
          o.put("os", p.os());
          if (!p.variant().isEmpty()) {
            o.put("variant", p.variant());
          }
        });
    return n;
  }
}

package io.layerstore.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.InvalidArchiveException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An image manifest (OCI image-spec v1 or Docker schema 2, which share their shape): the config's
 * descriptor and the layers' descriptors, bottom layer first.
 *
 * @param mediaType the manifest's media type: its own {@code mediaType} field, or the type of the
 *     descriptor that pointed to it when the field is absent (OCI makes it optional)
 * @param config the config blob's descriptor
 * @param layers the layer blobs' descriptors, bottom first
 */
public record OciManifest(String mediaType, Descriptor config, List<Descriptor> layers) {

  /** The largest manifest or index read; real ones are a few KiB. */
  public static final int MAX_BYTES = 4 * 1024 * 1024;

  /** Copies the layer list. */
  public OciManifest {
    layers = List.copyOf(layers);
  }

  /**
   * Parses a manifest's bytes.
   *
   * @param raw the manifest as stored
   * @param declaredType the media type the pointing descriptor gave it
   * @param source where it came from, for error messages
   * @param json the mapper to read with
   * @return the manifest
   * @throws InvalidArchiveException if it is not a schema version 2 manifest of a known type, or a
   *     descriptor in it is invalid
   */
  public static OciManifest parse(byte[] raw, String declaredType, String source, ObjectMapper json)
      throws InvalidArchiveException {
    JsonNode root = readObject(raw, source, json);
    String type = ownType(root, declaredType, null, source);
    if (!MediaTypes.isManifest(type)) {
      throw new InvalidArchiveException(source, null, "not an image manifest: " + type);
    }
    Descriptor config = Descriptor.parse(root.get("config"), source, "config");
    JsonNode ls = root.get("layers");
    if (ls == null || !ls.isArray()) {
      throw new InvalidArchiveException(source, null, "manifest has no \"layers\" array");
    }
    List<Descriptor> layers = new ArrayList<>();
    for (int i = 0; i < ls.size(); i++) {
      layers.add(Descriptor.parse(ls.get(i), source, "layers[" + i + "]"));
    }
    return new OciManifest(type, config, layers);
  }

  /**
   * Reads an index or manifest document as a JSON object with {@code schemaVersion} 2.
   *
   * @param raw the document
   * @param source where it came from, for error messages
   * @param json the mapper
   * @return the root object
   * @throws InvalidArchiveException if it is too large, not JSON, not an object, or of another
   *     schema version
   */
  static JsonNode readObject(byte[] raw, String source, ObjectMapper json)
      throws InvalidArchiveException {
    if (raw.length > MAX_BYTES) {
      throw new InvalidArchiveException(
          source, null, "document of " + raw.length + " bytes is larger than " + MAX_BYTES);
    }
    JsonNode root;
    try {
      root = json.readTree(raw);
    } catch (IOException e) {
      throw new InvalidArchiveException(source, null, "not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidArchiveException(source, null, "not a JSON object");
    }
    JsonNode v = root.get("schemaVersion");
    if (v == null || !v.isInt() || v.asInt() != 2) {
      throw new InvalidArchiveException(
          source, null, "schemaVersion is " + (v == null ? "missing" : v.toString()) + ", not 2");
    }
    return root;
  }

  /**
   * The document's media type: its {@code mediaType} field, which must agree with the pointing
   * descriptor's when both are given (a mismatch is how a confused or hostile layout swaps a
   * manifest for an index). {@code fallback} is the type of a document nothing pointed to.
   */
  static String ownType(JsonNode root, String declaredType, String fallback, String source)
      throws InvalidArchiveException {
    JsonNode t = root.get("mediaType");
    if (t == null || t.isNull()) {
      String type = declaredType != null ? declaredType : fallback;
      if (type == null) {
        throw new InvalidArchiveException(source, null, "document has no mediaType");
      }
      return type;
    }
    if (!t.isTextual()) {
      throw new InvalidArchiveException(source, null, "mediaType is not a string");
    }
    if (declaredType != null && !declaredType.equals(t.asText())) {
      throw new InvalidArchiveException(
          source,
          null,
          "media type " + t.asText() + " differs from the descriptor's " + declaredType);
    }
    return t.asText();
  }
}

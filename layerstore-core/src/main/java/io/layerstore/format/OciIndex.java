package io.layerstore.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.InvalidArchiveException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An image index (OCI) or manifest list (Docker): descriptors of manifests, or of further indexes,
 * each possibly for one platform. An OCI layout's {@code index.json} is one too.
 *
 * @param mediaType the index's media type ({@link MediaTypes#OCI_INDEX} when a layout's {@code
 *     index.json} does not say)
 * @param manifests the entries, in the order written
 */
public record OciIndex(String mediaType, List<Descriptor> manifests) {

  /** Copies the entries. */
  public OciIndex {
    manifests = List.copyOf(manifests);
  }

  /**
   * Parses an index's bytes.
   *
   * @param raw the index as stored
   * @param declaredType the media type the pointing descriptor gave it, or null for a layout's
   *     {@code index.json}
   * @param source where it came from, for error messages
   * @param json the mapper to read with
   * @return the index
   * @throws InvalidArchiveException if it is not a schema version 2 index, or an entry is invalid
   */
  public static OciIndex parse(byte[] raw, String declaredType, String source, ObjectMapper json)
      throws InvalidArchiveException {
    JsonNode root = OciManifest.readObject(raw, source, json);
    String type = OciManifest.ownType(root, declaredType, MediaTypes.OCI_INDEX, source);
    if (!MediaTypes.isIndex(type)) {
      throw new InvalidArchiveException(source, null, "not an image index: " + type);
    }
    JsonNode ms = root.get("manifests");
    if (ms == null || !ms.isArray()) {
      throw new InvalidArchiveException(source, null, "index has no \"manifests\" array");
    }
    List<Descriptor> out = new ArrayList<>();
    for (int i = 0; i < ms.size(); i++) {
      out.add(Descriptor.parse(ms.get(i), source, "manifests[" + i + "]"));
    }
    return new OciIndex(type, out);
  }

  /**
   * The entry to run on {@code want}, as containerd picks one: the best-ranked platform of {@link
   * OciPlatform#acceptable()}, the first such entry when several tie. Entries without a platform
   * never match (an index without platforms is not a multi-platform image).
   *
   * @param want the platform wanted
   * @return the chosen manifest entry, or empty if none is acceptable
   */
  public Optional<Descriptor> select(OciPlatform want) {
    for (OciPlatform p : want.acceptable()) {
      for (Descriptor d : manifests) {
        if (d.platform().isPresent() && d.platform().get().matches(p)) {
          return Optional.of(d);
        }
      }
    }
    return Optional.empty();
  }
}

package io.layerstore.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.ChainId;
import io.layerstore.ImageId;
import io.layerstore.InvalidReferenceException;
import io.layerstore.Reference;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One transaction on the store's metadata: a change decided in full before any of it is done — the
 * layers to publish (staged write-sets), the images to add and their parent and tag time, the tags
 * to set and remove, the images to delete and the layers to release. Every mutation — load, import,
 * tag, remove, prune, container commit — is one transaction.
 *
 * <p>A transaction is written to the journal ({@link Journal}) before it is applied and removed
 * after, and applying it is idempotent ({@link TransactionApplier}): whoever finds it in the
 * journal after a crash applies it again, so the store shows either none of it or all of it.
 *
 * @param op what made the change, for logs ("load", "remove", ...)
 * @param layers write-sets to publish, base first
 * @param images configs to store
 * @param parents parent image records to set
 * @param lastUpdated tag times to record
 * @param tags references to point at images; applied only where the reference still points where it
 *     did when the change was decided
 * @param untags references to remove, if they still point at the given image
 * @param deleteImages images to delete
 * @param release layers to release, top first; each is deleted only if nothing uses it then
 */
public record Transaction(
    String op,
    List<NewLayer> layers,
    List<NewImage> images,
    List<Parent> parents,
    List<Tagged> lastUpdated,
    List<TagSet> tags,
    List<TagSet> untags,
    List<ImageId> deleteImages,
    List<Release> release) {

  /** A staged layer: its write-set directory name, its identity and its driver id. */
  public record NewLayer(String writeSet, ChainId chainId, String cacheId) {}

  /** Config bytes of an image to add. */
  public record NewImage(byte[] config) {
    public ImageId id() {
      return ImageId.ofConfig(config);
    }
  }

  public record Parent(ImageId id, ImageId parent) {}

  public record Tagged(ImageId id, Instant when) {}

  /**
   * {@code ref} to point at {@code id}; {@code previous} is where it pointed when the change was
   * decided (null: nowhere).
   */
  public record TagSet(Reference ref, ImageId id, ImageId previous) {}

  /** A layer that may be deleted: identity and driver id as they were when decided. */
  public record Release(ChainId chainId, String cacheId) {}

  public Transaction {
    layers = List.copyOf(layers);
    images = List.copyOf(images);
    parents = List.copyOf(parents);
    lastUpdated = List.copyOf(lastUpdated);
    tags = List.copyOf(tags);
    untags = List.copyOf(untags);
    deleteImages = List.copyOf(deleteImages);
    release = List.copyOf(release);
  }

  public static Builder builder(String op) {
    return new Builder(op);
  }

  /** Collects the parts of a change. */
  public static final class Builder {
    private final String op;
    private final List<NewLayer> layers = new ArrayList<>();
    private final List<NewImage> images = new ArrayList<>();
    private final List<Parent> parents = new ArrayList<>();
    private final List<Tagged> lastUpdated = new ArrayList<>();
    private final List<TagSet> tags = new ArrayList<>();
    private final List<TagSet> untags = new ArrayList<>();
    private final List<ImageId> deleteImages = new ArrayList<>();
    private final List<Release> release = new ArrayList<>();

    private Builder(String op) {
      this.op = op;
    }

    public Builder layer(NewLayer l) {
      layers.add(l);
      return this;
    }

    public Builder image(byte[] config) {
      images.add(new NewImage(config.clone()));
      return this;
    }

    public Builder parent(ImageId id, ImageId parent) {
      parents.add(new Parent(id, parent));
      return this;
    }

    public Builder lastUpdated(ImageId id, Instant when) {
      lastUpdated.add(new Tagged(id, when));
      return this;
    }

    public Builder tag(Reference ref, ImageId id, ImageId previous) {
      tags.add(new TagSet(ref, id, previous));
      return this;
    }

    public Builder untag(Reference ref, ImageId id) {
      untags.add(new TagSet(ref, id, id));
      return this;
    }

    public Builder deleteImage(ImageId id) {
      deleteImages.add(id);
      return this;
    }

    public Builder release(ChainId chainId, String cacheId) {
      release.add(new Release(chainId, cacheId));
      return this;
    }

    public Transaction build() {
      return new Transaction(
          op, layers, images, parents, lastUpdated, tags, untags, deleteImages, release);
    }
  }

  /** Whether the change does nothing. */
  public boolean isEmpty() {
    return layers.isEmpty()
        && images.isEmpty()
        && parents.isEmpty()
        && lastUpdated.isEmpty()
        && tags.isEmpty()
        && untags.isEmpty()
        && deleteImages.isEmpty()
        && release.isEmpty();
  }

  // ---- journal form ---------------------------------------------------------------------------

  byte[] toJson(ObjectMapper json) {
    ObjectNode o = json.createObjectNode();
    o.put("op", op);
    ArrayNode a = o.putArray("layers");
    for (NewLayer l : layers) {
      a.addObject()
          .put("writeSet", l.writeSet())
          .put("chainId", l.chainId().toString())
          .put("cacheId", l.cacheId());
    }
    a = o.putArray("images");
    for (NewImage i : images) {
      a.add(Base64.getEncoder().encodeToString(i.config()));
    }
    a = o.putArray("parents");
    for (Parent p : parents) {
      a.addObject().put("id", p.id().toString()).put("parent", p.parent().toString());
    }
    a = o.putArray("lastUpdated");
    for (Tagged t : lastUpdated) {
      a.addObject().put("id", t.id().toString()).put("when", t.when().toString());
    }
    putTags(o.putArray("tags"), tags);
    putTags(o.putArray("untags"), untags);
    a = o.putArray("deleteImages");
    for (ImageId i : deleteImages) {
      a.add(i.toString());
    }
    a = o.putArray("release");
    for (Release r : release) {
      a.addObject().put("chainId", r.chainId().toString()).put("cacheId", r.cacheId());
    }
    try {
      return json.writeValueAsBytes(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void putTags(ArrayNode a, List<TagSet> tags) {
    for (TagSet t : tags) {
      ObjectNode n = a.addObject().put("ref", t.ref().toString()).put("id", t.id().toString());
      if (t.previous() != null) {
        n.put("previous", t.previous().toString());
      }
    }
  }

  /** Reads a journal entry; {@link IllegalArgumentException} if it is not one. */
  static Transaction fromJson(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    Builder b = builder(o.path("op").asText("unknown"));
    for (JsonNode l : o.path("layers")) {
      b.layer(
          new NewLayer(text(l, "writeSet"), ChainId.parse(text(l, "chainId")), text(l, "cacheId")));
    }
    for (JsonNode i : o.path("images")) {
      b.images.add(new NewImage(Base64.getDecoder().decode(i.asText())));
    }
    for (JsonNode p : o.path("parents")) {
      b.parent(ImageId.parse(text(p, "id")), ImageId.parse(text(p, "parent")));
    }
    for (JsonNode t : o.path("lastUpdated")) {
      b.lastUpdated(ImageId.parse(text(t, "id")), Instant.parse(text(t, "when")));
    }
    for (JsonNode t : o.path("tags")) {
      b.tags.add(tagSet(t));
    }
    for (JsonNode t : o.path("untags")) {
      b.untags.add(tagSet(t));
    }
    for (JsonNode i : o.path("deleteImages")) {
      b.deleteImage(ImageId.parse(i.asText()));
    }
    for (JsonNode r : o.path("release")) {
      b.release(ChainId.parse(text(r, "chainId")), text(r, "cacheId"));
    }
    return b.build();
  }

  private static TagSet tagSet(JsonNode t) {
    JsonNode prev = t.get("previous");
    Reference ref;
    try {
      ref = Reference.parse(text(t, "ref"));
    } catch (InvalidReferenceException e) {
      // a damaged entry, reported as every other malformed field of the journal is
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new TagSet(
        ref,
        ImageId.parse(text(t, "id")),
        prev == null || prev.isNull() ? null : ImageId.parse(prev.asText()));
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("missing \"" + field + "\"");
    }
    return v.asText();
  }
}

package io.layerstore.store;

import io.layerstore.ConflictException;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.InvalidReferenceException;
import io.layerstore.NotFoundException;
import io.layerstore.Reference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Finds the image a user's text names; the facade and the container area share it. */
public final class ImageResolver {
  private final ImageDb imageDb;
  private final ReferenceStore refs;
  private final TransactionRunner transactions;

  public ImageResolver(StoreContext store) {
    this.imageDb = store.imageDb();
    this.refs = store.refs();
    this.transactions = store.transactions();
  }

  /**
   * Resolves {@code name:tag}, {@code name} (tag latest), {@code name@digest}, a full id ({@code
   * sha256:...} or 64 hex) or a unique id prefix, the way the docker CLI does.
   */
  public ImageId resolve(String refOrId) throws IOException {
    if (refOrId == null || refOrId.isEmpty()) {
      throw new InvalidReferenceException("invalid reference format: empty");
    }
    transactions.settle();
    String s = refOrId;
    if (Digest.isValid(s)) {
      ImageId id = new ImageId(Digest.parse(s));
      if (imageDb.exists(id)) {
        return id;
      }
      throw new NotFoundException("No such image: " + refOrId);
    }
    if (s.startsWith("sha256:")) {
      s = s.substring(7);
    }
    Reference ref = null;
    try {
      ref = Reference.parse(refOrId).withDefaultTag();
    } catch (InvalidReferenceException e) {
      // not a reference; maybe a short id
    }
    if (ref != null) {
      ImageId id = refs.get(ref);
      if (id != null && imageDb.exists(id)) {
        return id;
      }
    }
    if (s.matches("[0-9a-f]{1,64}")) {
      List<ImageId> matches = new ArrayList<>();
      for (ImageId id : imageDb.list()) {
        if (id.digest().hex().startsWith(s)) {
          matches.add(id);
        }
      }
      if (matches.size() == 1) {
        return matches.get(0);
      }
      if (matches.size() > 1) {
        throw new ConflictException(
            "short id " + s + " is ambiguous: it matches " + matches.size() + " images");
      }
    }
    if (ref == null && !s.matches("[0-9a-f]{1,64}")) {
      throw new InvalidReferenceException("invalid reference format: \"" + refOrId + "\"");
    }
    throw new NotFoundException("No such image: " + refOrId);
  }
}

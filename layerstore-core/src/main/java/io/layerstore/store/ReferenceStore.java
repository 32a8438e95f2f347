package io.layerstore.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ImageId;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Owner of {@code image/<driver>/repositories.json}: which names point at which image.
 *
 * <pre>{"Repositories":{"fx":{"fx:base":"sha256:…","fx:multi":"sha256:…"}}}</pre>
 *
 * Outer key: familiar repository name; inner key: familiar {@code name:tag} or {@code name@digest};
 * both levels sorted, compact, no trailing newline, mode 0600, replaced atomically. A repository
 * whose map becomes empty is dropped. The file is re-read for every operation, so changes by other
 * processes (under the store lock) are seen.
 */
public final class ReferenceStore {

  private static final TypeReference<Map<String, Map<String, Map<String, String>>>> TYPE =
      new TypeReference<>() {};

  private final Path file;
  private final AtomicFiles files;
  private final ObjectMapper json;

  public ReferenceStore(Path file, AtomicFiles files, ObjectMapper json) {
    this.file = file;
    this.files = files;
    this.json = json;
  }

  /** The whole table: repository → (reference → image id). */
  public TreeMap<String, TreeMap<String, ImageId>> read() throws IOException {
    TreeMap<String, TreeMap<String, ImageId>> out = new TreeMap<>();
    if (!Files.exists(file)) {
      return out;
    }
    byte[] data = Files.readAllBytes(file);
    Map<String, Map<String, Map<String, String>>> parsed;
    try {
      parsed = json.readValue(data, TYPE);
    } catch (IOException e) {
      throw new LayerStoreException(file + ": not valid repositories JSON: " + e.getMessage(), e);
    }
    Map<String, Map<String, String>> repos = parsed == null ? null : parsed.get("Repositories");
    if (repos == null) {
      return out;
    }
    for (Map.Entry<String, Map<String, String>> repo : repos.entrySet()) {
      TreeMap<String, ImageId> refs = new TreeMap<>();
      if (repo.getValue() != null) {
        for (Map.Entry<String, String> e : repo.getValue().entrySet()) {
          try {
            refs.put(e.getKey(), ImageId.parse(e.getValue()));
          } catch (IllegalArgumentException ex) {
            throw new LayerStoreException(
                file + ": reference " + e.getKey() + " has invalid id " + e.getValue());
          }
        }
      }
      if (!refs.isEmpty()) {
        out.put(repo.getKey(), refs);
      }
    }
    return out;
  }

  private void write(TreeMap<String, TreeMap<String, ImageId>> table) throws IOException {
    StringBuilder sb = new StringBuilder("{\"Repositories\":{");
    boolean firstRepo = true;
    for (Map.Entry<String, TreeMap<String, ImageId>> repo : table.entrySet()) {
      if (repo.getValue().isEmpty()) {
        continue;
      }
      if (!firstRepo) {
        sb.append(',');
      }
      firstRepo = false;
      sb.append(json.writeValueAsString(repo.getKey())).append(":{");
      boolean first = true;
      for (Map.Entry<String, ImageId> e : repo.getValue().entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        sb.append(json.writeValueAsString(e.getKey()))
            .append(':')
            .append(json.writeValueAsString(e.getValue().toString()));
      }
      sb.append('}');
    }
    sb.append("}}");
    files.write(file, sb.toString().getBytes(StandardCharsets.UTF_8), 0600);
  }

  /** The image a reference points at, or null. */
  public ImageId get(Reference ref) throws IOException {
    TreeMap<String, ImageId> refs = read().get(ref.familiarName());
    return refs == null ? null : refs.get(ref.familiarString());
  }

  /**
   * Points {@code ref} at {@code id}; returns the image it pointed at before (or null). The caller
   * holds the store lock.
   */
  public ImageId put(Reference ref, ImageId id) throws IOException {
    TreeMap<String, TreeMap<String, ImageId>> table = read();
    ImageId old =
        table
            .computeIfAbsent(ref.familiarName(), k -> new TreeMap<>())
            .put(ref.familiarString(), id);
    if (!id.equals(old)) {
      write(table);
    }
    return old;
  }

  /** Removes {@code ref}; returns the image it pointed at, or null if it did not exist. */
  public ImageId remove(Reference ref) throws IOException {
    TreeMap<String, TreeMap<String, ImageId>> table = read();
    TreeMap<String, ImageId> refs = table.get(ref.familiarName());
    if (refs == null) {
      return null;
    }
    ImageId old = refs.remove(ref.familiarString());
    if (old != null) {
      if (refs.isEmpty()) {
        table.remove(ref.familiarName());
      }
      write(table);
    }
    return old;
  }

  /** Removes every reference to {@code id}; returns them. */
  public List<String> removeAll(ImageId id) throws IOException {
    TreeMap<String, TreeMap<String, ImageId>> table = read();
    List<String> removed = new ArrayList<>();
    for (TreeMap<String, ImageId> refs : table.values()) {
      refs.entrySet()
          .removeIf(
              e -> {
                if (e.getValue().equals(id)) {
                  removed.add(e.getKey());
                  return true;
                }
                return false;
              });
    }
    if (!removed.isEmpty()) {
      table.values().removeIf(Map::isEmpty);
      write(table);
    }
    return removed;
  }

  /**
   * Sets and removes references in one atomic rewrite. A reference is set only if it still points
   * where it did when the change was decided (or already at the new image), and removed only if it
   * still points at the given image; so applying a change again, or after another process moved a
   * tag, never undoes later work. Returns the references removed.
   */
  public List<String> apply(List<Transaction.TagSet> set, List<Transaction.TagSet> remove)
      throws IOException {
    if (set.isEmpty() && remove.isEmpty()) {
      return List.of();
    }
    TreeMap<String, TreeMap<String, ImageId>> table = read();
    boolean changed = false;
    for (Transaction.TagSet t : set) {
      TreeMap<String, ImageId> repo =
          table.computeIfAbsent(t.ref().familiarName(), k -> new TreeMap<>());
      ImageId now = repo.get(t.ref().familiarString());
      if (t.id().equals(now)) {
        continue;
      }
      if (java.util.Objects.equals(now, t.previous())) {
        repo.put(t.ref().familiarString(), t.id());
        changed = true;
      }
    }
    List<String> removed = new ArrayList<>();
    for (Transaction.TagSet t : remove) {
      TreeMap<String, ImageId> repo = table.get(t.ref().familiarName());
      if (repo != null && t.id().equals(repo.get(t.ref().familiarString()))) {
        repo.remove(t.ref().familiarString());
        removed.add(t.ref().familiarString());
        changed = true;
      }
    }
    if (changed) {
      table.values().removeIf(Map::isEmpty);
      write(table);
    }
    return removed;
  }

  /** Temp files of interrupted rewrites of {@code repositories.json}. */
  public List<Path> tempLeftovers() throws IOException {
    return Recovery.matching(file.getParent(), ".tmp-" + file.getFileName() + "*");
  }

  /** Every familiar reference string pointing at {@code id}, sorted. */
  public List<String> referencesTo(ImageId id) throws IOException {
    List<String> out = new ArrayList<>();
    for (TreeMap<String, ImageId> refs : read().values()) {
      for (Map.Entry<String, ImageId> e : refs.entrySet()) {
        if (e.getValue().equals(id)) {
          out.add(e.getKey());
        }
      }
    }
    return out;
  }
}

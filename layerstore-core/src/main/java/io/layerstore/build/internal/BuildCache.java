package io.layerstore.build.internal;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.store.AtomicFiles;
import io.layerstore.store.StoreLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer cache of builds: which layer a set of inputs made, so that an unchanged layer is
 * neither tarred nor hashed again (Jib's selectors). Owns {@code layerstore/build-cache/}:
 *
 * <pre>
 * layerstore/build-cache/            0700
 *   layers/&lt;hex of the cache key&gt;   one entry per key, replaced atomically
 * </pre>
 *
 * <p>An entry is text: its first line is the sha256 of the rest, which holds the key, the layer's
 * diffID and the chain it was stored as. An entry whose digest or key does not match is ignored
 * (the layer is rebuilt), and the caller trusts an entry only if the chain it leads to is in the
 * store: a damaged or stale cache costs a rebuild, never a wrong image.
 */
final class BuildCache {
  private static final Logger LOG = LoggerFactory.getLogger(BuildCache.class);

  /** What a cache key made. */
  record Entry(DiffId diffId, ChainId chainId) {}

  private final Path dir;
  private final AtomicFiles files;

  BuildCache(StoreLayout layout, AtomicFiles files) {
    this.dir = layout.stateDir().resolve("build-cache");
    this.files = files;
  }

  private Path entryFile(Digest key) {
    return dir.resolve("layers").resolve(key.hex());
  }

  /** The entry of {@code key}, if there is a sound one. */
  Optional<Entry> lookup(Digest key) {
    Path file = entryFile(key);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      LOG.warn("build cache entry {} cannot be read, rebuilding its layer: {}", file, e.toString());
      return Optional.empty();
    }
    try {
      int nl = text.indexOf('\n');
      String body = text.substring(nl + 1);
      if (nl < 0 || !Digest.parse(text.substring(0, nl)).equals(Digest.of(body))) {
        throw new IllegalArgumentException("its digest does not match its content");
      }
      String[] lines = body.split("\n");
      if (lines.length != 3 || !lines[0].equals("key " + key)) {
        throw new IllegalArgumentException("it is not the entry of key " + key);
      }
      return Optional.of(
          new Entry(
              DiffId.parse(field(lines[1], "diffid ")), ChainId.parse(field(lines[2], "chain "))));
    } catch (RuntimeException e) {
      LOG.warn("build cache entry {} is damaged, rebuilding its layer: {}", file, e.getMessage());
      return Optional.empty();
    }
  }

  private static String field(String line, String name) {
    if (!line.startsWith(name)) {
      throw new IllegalArgumentException("expected " + name.trim() + ", found: " + line);
    }
    return line.substring(name.length());
  }

  /**
   * Records what {@code key} made. Called once the layer is published; a failure here costs the
   * next build a rebuild, so it is logged, not thrown.
   */
  void remember(Digest key, Entry entry) {
    String body = "key " + key + "\ndiffid " + entry.diffId() + "\nchain " + entry.chainId() + "\n";
    byte[] bytes = (Digest.of(body) + "\n" + body).getBytes(StandardCharsets.UTF_8);
    try {
      AtomicFiles.ensureDirectory(dir, StoreLayout.STATE_DIR_MODE);
      AtomicFiles.ensureDirectory(dir.resolve("layers"), StoreLayout.STATE_DIR_MODE);
      files.write(entryFile(key), bytes, 0600);
    } catch (IOException e) {
      LOG.warn("could not record build cache entry {}: {}", key, e.toString());
    }
  }
}

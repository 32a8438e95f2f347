package io.layerstore.build.internal;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.store.AtomicFiles;
import io.layerstore.store.Pusher;
import io.layerstore.store.StoreLayout;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer cache of builds: which layer a set of inputs made, so that an unchanged layer is
 * neither tarred nor hashed again (Jib's selectors). Owns {@code layerstore/build-cache/}:
 *
 * <pre>
 * layerstore/build-cache/              0700
 *   layers/&lt;hex of the cache key&gt;     one entry per key, replaced atomically
 *   blobs/sha256/&lt;hex&gt;                the gzip blob of a built layer, as a push sends it
 *   blobs/by-diffid/&lt;hex of diffID&gt;   "sha256:&lt;blob hex&gt; &lt;size&gt;": the blob of that layer
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

  /**
   * A blob being written: hashed and counted on its way to a temporary file, then kept under its
   * digest ({@link #keep}) or dropped ({@link #drop}).
   */
  static final class BlobSink extends FilterOutputStream {
    private final Path tmp;
    private final MessageDigest sha = Digest.newSha256();
    private long count;

    private BlobSink(Path tmp) throws IOException {
      super(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16));
      this.tmp = tmp;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      sha.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      sha.update(b, off, len);
      count += len;
    }
  }

  private final Path dir;
  private final AtomicFiles files;

  BuildCache(StoreLayout layout, AtomicFiles files) {
    this.dir = layout.stateDir().resolve("build-cache");
    this.files = files;
  }

  private Path blobsDir() {
    return dir.resolve("blobs");
  }

  private Path blobFile(Digest blob) {
    return blobsDir().resolve("sha256").resolve(blob.hex());
  }

  private Path blobRecord(DiffId diffId) {
    return blobsDir().resolve("by-diffid").resolve(diffId.digest().hex());
  }

  /**
   * A new blob, written into the cache's own area (made if missing). Unfinished blobs older than a
   * day, which a killed build left, are deleted first: no build runs that long, and a younger one
   * may be another process's, still being written.
   */
  BlobSink newBlob() throws IOException {
    ensureDirs(dir, blobsDir(), blobsDir().resolve("sha256"), blobsDir().resolve("by-diffid"));
    Instant stale = Instant.now().minus(Duration.ofDays(1));
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobsDir(), ".tmp-*")) {
      for (Path p : ds) {
        if (Files.getLastModifiedTime(p).toInstant().isBefore(stale)) {
          LOG.info("deleting an unfinished blob a build left: {}", p);
          Files.deleteIfExists(p);
        }
      }
    }
    return new BlobSink(blobsDir().resolve(".tmp-" + files.randomHex(8)));
  }

  /**
   * Keeps a finished blob as the compressed form of {@code diffId}; a failure is logged (a push
   * then compresses the layer itself). The blob was made from the very bytes the staging hashed
   * into {@code diffId}, so it decompresses to that layer.
   */
  void keep(BlobSink sink, DiffId diffId) {
    try {
      sink.close();
      Digest digest = Digest.fromBytes(sink.sha.digest());
      files.move(sink.tmp, blobFile(digest));
      files.write(
          blobRecord(diffId),
          (digest + " " + sink.count + "\n").getBytes(StandardCharsets.UTF_8),
          0600);
    } catch (IOException e) {
      // the cache is a shortcut: a push compresses the layer itself
      LOG.warn("could not keep the compressed blob of layer {}: {}", diffId, e.toString());
      drop(sink);
    }
  }

  /** Deletes a blob that is not to be kept (its layer failed, or the store had it already). */
  void drop(BlobSink sink) {
    try {
      sink.close();
      Files.deleteIfExists(sink.tmp);
    } catch (IOException e) {
      LOG.warn("could not delete the unfinished blob {}: {}", sink.tmp, e.toString());
    }
  }

  /**
   * The kept gzip blob of the layer {@code diffId}, checked: its record must name a file of the
   * recorded size whose bytes hash to the recorded digest (read once, far cheaper than compressing
   * again). Anything else is ignored (and logged): the caller compresses the layer itself.
   */
  Optional<Pusher.KeptBlob> blob(DiffId diffId) {
    Path record = blobRecord(diffId);
    try {
      String[] f = Files.readString(record, StandardCharsets.UTF_8).strip().split(" ");
      Digest digest = Digest.parse(f[0]);
      long size = Long.parseLong(f[1]);
      Path file = blobFile(digest);
      MessageDigest sha = Digest.newSha256();
      long n = 0;
      byte[] buf = new byte[1 << 16];
      try (InputStream in = Files.newInputStream(file)) {
        for (int k; (k = in.read(buf)) > 0; n += k) {
          sha.update(buf, 0, k);
        }
      }
      if (n != size || !Digest.fromBytes(sha.digest()).equals(digest)) {
        LOG.warn("kept blob {} of layer {} is damaged; not used", file, diffId);
        return Optional.empty();
      }
      return Optional.of(new Pusher.KeptBlob(digest, size, file));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      LOG.warn("kept blob of layer {} cannot be used: {}", diffId, e.toString());
      return Optional.empty();
    }
  }

  private static void ensureDirs(Path... dirs) throws IOException {
    for (Path d : dirs) {
      AtomicFiles.ensureDirectory(d, StoreLayout.STATE_DIR_MODE);
    }
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
      ensureDirs(dir, dir.resolve("layers"));
      files.write(entryFile(key), bytes, 0600);
    } catch (IOException e) {
      LOG.warn("could not record build cache entry {}: {}", key, e.toString());
    }
  }

  /**
   * Forgets what the store no longer has, as the store's prune removes layers: entries whose chain
   * is gone (or that are damaged), blob records of layers no chain has any more, and the blobs no
   * record names. Safe beside a build in another process: losing a blob or an entry only costs a
   * compression or a rebuild, never a wrong image, since both are checked where they are used.
   *
   * @param chainExists whether the store has a chain
   * @param liveDiffIds the diffIDs of the store's layers
   * @return the bytes of the blobs deleted
   */
  long prune(Predicate<ChainId> chainExists, Set<DiffId> liveDiffIds) throws IOException {
    for (Path e : list(dir.resolve("layers"))) {
      Optional<Entry> entry =
          Digest.isValid(e.getFileName().toString())
              ? lookup(Digest.parse(e.getFileName().toString()))
              : Optional.empty();
      if (entry.isEmpty() || !chainExists.test(entry.get().chainId())) {
        Files.deleteIfExists(e);
      }
    }
    Set<String> named = new HashSet<>();
    for (Path r : list(blobsDir().resolve("by-diffid"))) {
      String hex = r.getFileName().toString();
      if (Digest.isValid(hex) && liveDiffIds.contains(DiffId.parse("sha256:" + hex))) {
        try {
          named.add(
              Digest.parse(Files.readString(r, StandardCharsets.UTF_8).strip().split(" ")[0])
                  .hex());
          continue;
        } catch (IOException | RuntimeException damaged) {
          // a record that can't be read names nothing: deleted below
        }
      }
      Files.deleteIfExists(r);
    }
    long freed = 0;
    for (Path b : list(blobsDir().resolve("sha256"))) {
      if (!named.contains(b.getFileName().toString())) {
        long size = Files.size(b);
        if (Files.deleteIfExists(b)) {
          freed += size;
        }
      }
    }
    if (freed > 0) {
      LOG.info("build cache: {} bytes of blobs of removed layers deleted", freed);
    }
    return freed;
  }

  /** The entries of {@code d}, none if it does not exist (no build ever wrote there). */
  private static List<Path> list(Path d) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
      ds.forEach(out::add);
    } catch (NoSuchFileException e) {
      return out;
    }
    return out;
  }
}

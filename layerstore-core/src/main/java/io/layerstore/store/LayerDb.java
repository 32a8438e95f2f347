package io.layerstore.store;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owner of {@code image/<driver>/layerdb/}: every path and file format in it.
 *
 * <pre>
 * layerdb/                     0700
 *   sha256/                    0755
 *     &lt;chainID hex&gt;/          0700  diff size cache-id [parent] tar-split.json.gz   (0644, no NL)
 *   mounts/                    0755
 *     &lt;containerID&gt;/          0755  mount-id [init-id] [parent]                   (0644, no NL)
 *   tmp/                       0755
 *     write-set-&lt;random&gt;/     0700  a layer being staged, renamed into sha256/ when complete
 * </pre>
 *
 * <p>A layer becomes visible in one rename of its complete, fsynced write-set; removal renames it
 * to {@code <hex>-<random>-removing} first, so a crash never leaves a half-present layer.
 */
public final class LayerDb {
  private static final Logger LOG = LoggerFactory.getLogger(LayerDb.class);

  public static final String DIFF = "diff";
  public static final String SIZE = "size";
  public static final String CACHE_ID = "cache-id";
  public static final String PARENT = "parent";
  public static final String TAR_SPLIT = "tar-split.json.gz";
  public static final String DESCRIPTOR = "descriptor.json";

  public static final String MOUNT_ID = "mount-id";
  public static final String INIT_ID = "init-id";

  static final String WRITE_SET_PREFIX = "write-set-";
  static final String REMOVING_SUFFIX = "-removing";

  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern SIZE_TEXT = Pattern.compile("0|[1-9][0-9]{0,18}");
  private static final Pattern CACHE_ID_TEXT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  private final Path root;
  private final AtomicFiles files;

  public LayerDb(Path root, AtomicFiles files) {
    this.root = root;
    this.files = files;
  }

  /** Creates the directories Docker has in a layerdb (idempotent). */
  public void initialize() throws IOException {
    AtomicFiles.ensureDirectory(root, 0700);
    AtomicFiles.ensureDirectory(sha256Dir(), 0755);
    AtomicFiles.ensureDirectory(tmpDir(), 0755);
  }

  public Path root() {
    return root;
  }

  Path sha256Dir() {
    return root.resolve("sha256");
  }

  public Path tmpDir() {
    return root.resolve("tmp");
  }

  public Path mountsDir() {
    return root.resolve("mounts");
  }

  /** The directory of a registered layer. */
  public Path layerDir(ChainId chainId) {
    return sha256Dir().resolve(chainId.digest().hex());
  }

  public boolean exists(ChainId chainId) {
    return Files.isDirectory(layerDir(chainId), LinkOption.NOFOLLOW_LINKS);
  }

  /** Reads one layer's record, or empty when it is not registered. */
  public Optional<LayerRecord> get(ChainId chainId) throws IOException {
    Path dir = layerDir(chainId);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return Optional.of(read(chainId, dir));
  }

  /** Reads one layer's record; a missing layer is an error naming it. */
  public LayerRecord require(ChainId chainId) throws IOException {
    return get(chainId)
        .orElseThrow(() -> new io.layerstore.NotFoundException("layer " + chainId + " is not in the store"));
  }

  private LayerRecord read(ChainId chainId, Path dir) throws IOException {
    try {
      DiffId diff = DiffId.parse(readTrimmed(dir.resolve(DIFF)));
      String cacheId = readTrimmed(dir.resolve(CACHE_ID));
      if (!CACHE_ID_TEXT.matcher(cacheId).matches()) {
        throw new LayerStoreException(dir.resolve(CACHE_ID) + ": invalid cache id \"" + cacheId + "\"");
      }
      // Docker parses size without trimming; so do we, and we reject what Docker would reject.
      String sizeText = new String(Files.readAllBytes(dir.resolve(SIZE)), StandardCharsets.US_ASCII);
      if (!SIZE_TEXT.matcher(sizeText).matches()) {
        throw new LayerStoreException(dir.resolve(SIZE) + ": invalid size \"" + sizeText + "\"");
      }
      Path parentFile = dir.resolve(PARENT);
      ChainId parent = null;
      if (Files.exists(parentFile, LinkOption.NOFOLLOW_LINKS)) {
        parent = ChainId.parse(readTrimmed(parentFile));
      }
      return new LayerRecord(chainId, diff, parent, cacheId, Long.parseLong(sizeText));
    } catch (IllegalArgumentException e) {
      throw new LayerStoreException(dir + ": corrupt layer metadata: " + e.getMessage(), e);
    } catch (NoSuchFileException e) {
      throw new LayerStoreException(dir + ": corrupt layer metadata: missing " + e.getFile(), e);
    }
  }

  private static String readTrimmed(Path p) throws IOException {
    return new String(Files.readAllBytes(p), StandardCharsets.UTF_8).strip();
  }

  /** Every registered layer; entries that cannot be read are logged and left out. */
  public List<LayerRecord> list() throws IOException {
    List<LayerRecord> out = new ArrayList<>();
    if (!Files.isDirectory(sha256Dir())) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(sha256Dir())) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (!HEX64.matcher(name).matches()) {
          continue;
        }
        try {
          out.add(read(new ChainId(new Digest(name)), p));
        } catch (IOException e) {
          LOG.warn("skipping unreadable layer {}: {}", p, e.getMessage());
        }
      }
    }
    return out;
  }

  /** Names in {@code sha256/} that are not complete layers (leftovers of interrupted removals). */
  public List<Path> removalLeftovers() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(sha256Dir())) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(sha256Dir())) {
      for (Path p : ds) {
        if (p.getFileName().toString().endsWith(REMOVING_SUFFIX)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  public InputStream openTarSplit(ChainId chainId) throws IOException {
    return Files.newInputStream(layerDir(chainId).resolve(TAR_SPLIT));
  }

  /**
   * Starts staging a new layer in {@code tmp/write-set-<random>/}, claimed by this process (see
   * {@link StoreLocks#claim}) before the directory exists, so that a store opened by another
   * process never takes it for the leftover of a dead one.
   */
  public WriteSet newWriteSet(StoreLocks locks) throws IOException {
    AtomicFiles.ensureDirectory(tmpDir(), 0755);
    String name = WRITE_SET_PREFIX + files.randomHex(32);
    StoreLocks.Held claim = locks.claim(claimName(name));
    try {
      Path dir = tmpDir().resolve(name);
      Files.createDirectory(dir);
      AtomicFiles.setMode(dir, 0700);
      return new WriteSet(dir, claim);
    } catch (IOException | RuntimeException e) {
      claim.close();
      throw e;
    }
  }

  /** The claim that marks the write-set {@code name} as live. */
  public static String claimName(String writeSetName) {
    return "claim-" + writeSetName;
  }

  /** The staging directory called {@code name} (which may be gone). */
  public Path writeSetDir(String name) {
    if (!name.startsWith(WRITE_SET_PREFIX) || name.contains("/")) {
      throw new IllegalArgumentException("not a write-set name: " + name);
    }
    return tmpDir().resolve(name);
  }

  /** Staging directories in {@code tmp/} (live ones belong to running operations). */
  public List<Path> writeSets() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(tmpDir())) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmpDir())) {
      for (Path p : ds) {
        if (p.getFileName().toString().startsWith(WRITE_SET_PREFIX)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /**
   * Makes a staged layer visible as {@code chainId}. Fails with {@link
   * java.nio.file.FileAlreadyExistsException} if the layer was registered meanwhile.
   */
  public void commit(WriteSet set, ChainId chainId) throws IOException {
    commit(set.dir(), chainId);
  }

  /**
   * Unregisters a layer: one rename makes it invisible, then the directory is deleted. Returns the
   * record it had.
   */
  public void remove(ChainId chainId) throws IOException {
    Path dir = layerDir(chainId);
    Path removing = sha256Dir().resolve(chainId.digest().hex() + "-" + files.randomHex(32) + REMOVING_SUFFIX);
    Files.move(dir, removing, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    files.syncDir(sha256Dir());
    deleteFlatDir(removing);
  }

  /**
   * Deletes a directory holding only plain files (a write-set or a removed layer entry). Never
   * follows a symlink: a link in its place is removed itself, never the directory it points to.
   */
  public static void deleteFlatDir(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(dir);
      return;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        Files.delete(p); // a subdirectory fails here (not empty): layerdb entries are flat
      }
    }
    Files.delete(dir);
  }

  /** A layer being staged: files written here become visible together on {@link #commit}. */
  public final class WriteSet {
    private final Path dir;
    private final StoreLocks.Held claim;

    WriteSet(Path dir, StoreLocks.Held claim) {
      this.dir = dir;
      this.claim = claim;
    }

    public Path dir() {
      return dir;
    }

    /** The directory's name ({@code write-set-<hex>}), as a store change records it. */
    public String name() {
      return dir.getFileName().toString();
    }

    /** Gives up the claim; call after the directory was committed or discarded. */
    public void release() throws IOException {
      claim.close();
    }

    public void writeDiffId(DiffId diffId) throws IOException {
      write(DIFF, diffId.toString());
    }

    public void writeSize(long size) throws IOException {
      write(SIZE, Long.toString(size));
    }

    public void writeCacheId(String cacheId) throws IOException {
      write(CACHE_ID, cacheId);
    }

    public void writeParent(ChainId parent) throws IOException {
      if (parent != null) {
        write(PARENT, parent.toString());
      }
    }

    /** Opens the tar-split file for writing (gzip bytes). */
    public OutputStream tarSplitOutput() throws IOException {
      return Files.newOutputStream(dir.resolve(TAR_SPLIT), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    public Path tarSplitPath() {
      return dir.resolve(TAR_SPLIT);
    }

    /** The cache id recorded so far, or null (used to find the driver dir of an abandoned set). */
    public String cacheIdIfWritten() throws IOException {
      Path p = dir.resolve(CACHE_ID);
      return Files.exists(p) ? readTrimmed(p) : null;
    }

    private void write(String name, String value) throws IOException {
      files.writeNew(dir.resolve(name), value.getBytes(StandardCharsets.UTF_8), 0644);
    }

    void sync() throws IOException {
      syncWriteSet(dir);
    }

    /** Deletes the staging directory (abandoning the layer). */
    public void discard() throws IOException {
      deleteFlatDir(dir);
    }
  }

  /** Makes a write-set's files durable (the tar-split is the only one written unsynced). */
  void syncWriteSet(Path dir) throws IOException {
    Path ts = dir.resolve(TAR_SPLIT);
    if (Files.exists(ts, LinkOption.NOFOLLOW_LINKS)) {
      AtomicFiles.setMode(ts, 0644);
      files.syncFile(ts);
    }
    files.syncDir(dir);
  }

  /**
   * Publishes the staged directory {@code writeSetDir} as {@code chainId} (see {@link #commit});
   * used when a change is applied, possibly by another process after the stager died.
   */
  public void commit(Path writeSetDir, ChainId chainId) throws IOException {
    syncWriteSet(writeSetDir);
    files.moveDirectory(writeSetDir, layerDir(chainId));
  }

  /** Reads the cache id recorded in a staging directory, or null. */
  public static String cacheIdOf(Path writeSetDir) throws IOException {
    Path p = writeSetDir.resolve(CACHE_ID);
    return Files.exists(p) ? readTrimmed(p) : null;
  }

  /**
   * What a container layer ({@code mounts/<id>/}) holds on to: its driver ids ({@code mount-id},
   * {@code init-id}) and the image layer it sits on ({@code parent}). Read leniently: a missing
   * file is null.
   */
  public record MountRecord(String containerId, String mountId, String initId, ChainId parent) {}

  /** Every container layer record, as Docker writes them; unreadable ones are logged and skipped. */
  public List<MountRecord> mountRecords() throws IOException {
    List<MountRecord> out = new ArrayList<>();
    if (!Files.isDirectory(mountsDir(), LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(mountsDir())) {
      for (Path p : ds) {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try {
          String mount = optional(p.resolve(MOUNT_ID));
          String init = optional(p.resolve(INIT_ID));
          String parent = optional(p.resolve(PARENT));
          out.add(new MountRecord(p.getFileName().toString(), mount, init,
              parent == null || parent.isEmpty() ? null : ChainId.parse(parent)));
        } catch (IllegalArgumentException e) {
          LOG.warn("skipping unreadable container layer {}: {}", p, e.getMessage());
        }
      }
    }
    return out;
  }

  private static String optional(Path p) throws IOException {
    return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? readTrimmed(p) : null;
  }
}

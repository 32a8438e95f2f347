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

  /**
   * The record of the topmost layer of an image with these diffIDs ({@link ChainId#top}), or empty
   * for an image without layers; a missing layer is an error naming it.
   */
  public Optional<LayerRecord> top(List<DiffId> diffIds) throws IOException {
    Optional<ChainId> top = ChainId.top(diffIds);
    return top.isEmpty() ? Optional.empty() : Optional.of(require(top.get()));
  }

  /** Reads one layer's record; a missing layer is an error naming it. */
  public LayerRecord require(ChainId chainId) throws IOException {
    return get(chainId)
        .orElseThrow(
            () -> new io.layerstore.NotFoundException("layer " + chainId + " is not in the store"));
  }

  /**
   * The driver id ({@code cache-id}) of a registered layer, all a mount needs of its record: one
   * file read where {@link #require} reads four (a warm mount's largest share of system calls).
   *
   * @throws io.layerstore.NotFoundException if the layer is not registered
   * @throws LayerStoreException if its record has no valid cache id
   */
  public String cacheId(ChainId chainId) throws IOException {
    Path dir = layerDir(chainId);
    try {
      return readCacheId(dir);
    } catch (NoSuchFileException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new io.layerstore.NotFoundException("layer " + chainId + " is not in the store");
      }
      throw new LayerStoreException(dir + ": corrupt layer metadata: missing " + e.getFile(), e);
    }
  }

  private static String readCacheId(Path dir) throws IOException {
    String cacheId = readTrimmed(dir.resolve(CACHE_ID));
    if (!CACHE_ID_TEXT.matcher(cacheId).matches()) {
      throw new LayerStoreException(
          dir.resolve(CACHE_ID) + ": invalid cache id \"" + cacheId + "\"");
    }
    return cacheId;
  }

  private LayerRecord read(ChainId chainId, Path dir) throws IOException {
    try {
      DiffId diff = DiffId.parse(readTrimmed(dir.resolve(DIFF)));
      String cacheId = readCacheId(dir);
      // Docker parses size without trimming; so do we, and we reject what Docker would reject.
      String sizeText =
          new String(Files.readAllBytes(dir.resolve(SIZE)), StandardCharsets.US_ASCII);
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

  /**
   * A write-set without a claim, for a caller that holds the store lock until the set is registered
   * or discarded (recovery, which needs that lock too, can then never see it half made).
   */
  public WriteSet newWriteSet() throws IOException {
    AtomicFiles.ensureDirectory(tmpDir(), 0755);
    Path dir = tmpDir().resolve(WRITE_SET_PREFIX + files.randomHex(32));
    Files.createDirectory(dir);
    AtomicFiles.setMode(dir, 0700);
    return new WriteSet(dir, null);
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
   * Unregisters a layer: one rename makes it invisible, then the directory is deleted. Returns the
   * record it had.
   */
  public void remove(ChainId chainId) throws IOException {
    Path dir = layerDir(chainId);
    Path removing =
        sha256Dir().resolve(chainId.digest().hex() + "-" + files.randomHex(32) + REMOVING_SUFFIX);
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

  /** A layer being staged: files written here become visible together on {@link #register}. */
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

    /** Gives up the claim; call after the directory was registered or discarded. */
    public void release() throws IOException {
      if (claim != null) {
        claim.close();
      }
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
      return Files.newOutputStream(
          dir.resolve(TAR_SPLIT), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    public Path tarSplitPath() {
      return dir.resolve(TAR_SPLIT);
    }

    void write(String name, String value) throws IOException {
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
   * Makes the staged directory {@code writeSetDir} visible as the layer {@code chainId}; used when
   * a transaction is applied, possibly by another process after the stager died. Fails with {@link
   * java.nio.file.FileAlreadyExistsException} if the layer was registered meanwhile.
   */
  public void register(Path writeSetDir, ChainId chainId) throws IOException {
    syncWriteSet(writeSetDir);
    files.moveDirectory(writeSetDir, layerDir(chainId));
  }

  // ---- container read-write layers: mounts/<containerID>/ ------------------------------------

  /**
   * A container's read-write layer as Docker records it in {@code mounts/<containerID>/}.
   *
   * @param containerId the container's full id, 64 lowercase hex
   * @param mountId the driver id of the read-write layer
   * @param initId the driver id of the init layer ({@code <mountId>-init}), or null if none
   * @param parent the chainID of the image's top layer, or null for an image without layers
   */
  public record MountRecord(String containerId, String mountId, String initId, ChainId parent) {
    public MountRecord {
      if (containerId == null || !HEX64.matcher(containerId).matches()) {
        throw new IllegalArgumentException("invalid container id \"" + containerId + "\"");
      }
      if (mountId == null
          || !MOUNT_ID_TEXT.matcher(mountId).matches()
          || mountId.endsWith(INIT_SUFFIX)) {
        throw new IllegalArgumentException("invalid mount id \"" + mountId + "\"");
      }
      if (initId != null && !initId.equals(mountId + INIT_SUFFIX)) {
        throw new IllegalArgumentException(
            "init id \"" + initId + "\" is not " + mountId + INIT_SUFFIX);
      }
    }
  }

  /** Docker's suffix of an init layer's driver id. */
  public static final String INIT_SUFFIX = "-init";

  /** Docker reads both ids back with this pattern and skips a mount that does not match. */
  private static final Pattern MOUNT_ID_TEXT = Pattern.compile("[a-f0-9]{64}(-init)?");

  /** {@code mounts/<containerID>/} */
  public Path mountDir(String containerId) {
    if (!HEX64.matcher(containerId).matches()) {
      throw new IllegalArgumentException("invalid container id \"" + containerId + "\"");
    }
    return mountsDir().resolve(containerId);
  }

  /**
   * Records a container's read-write layer. The files are written into a write-set and renamed into
   * place together (Docker writes them one by one), so a reader sees all or none of them. Fails
   * with {@link java.nio.file.FileAlreadyExistsException} if the container has a record.
   *
   * @param durable whether to fsync (when the store is durable); a caller that can rewrite the
   *     record from its own durable state after a crash may skip it
   */
  public void putMount(MountRecord r, boolean durable) throws IOException {
    AtomicFiles.ensureDirectory(mountsDir(), 0755);
    boolean sync = durable && files.durable();
    WriteSet set = newWriteSet();
    try {
      writeMountFile(set, MOUNT_ID, r.mountId(), sync);
      if (r.initId() != null) {
        writeMountFile(set, INIT_ID, r.initId(), sync);
      }
      if (r.parent() != null) {
        writeMountFile(set, PARENT, r.parent().toString(), sync);
      }
      AtomicFiles.setMode(set.dir(), 0755);
      if (sync) {
        set.sync();
        files.moveDirectory(set.dir(), mountDir(r.containerId()));
      } else {
        Path target = mountDir(r.containerId());
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
          throw new java.nio.file.FileAlreadyExistsException(target.toString());
        }
        Files.move(set.dir(), target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException | RuntimeException e) {
      try {
        set.discard();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static void writeMountFile(WriteSet set, String name, String value, boolean sync)
      throws IOException {
    if (sync) {
      set.write(name, value);
    } else {
      Path f = set.dir().resolve(name);
      Files.write(
          f,
          value.getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      AtomicFiles.setMode(f, 0644);
    }
  }

  /**
   * The record of a container's read-write layer, or empty if there is none (or it is unreadable).
   */
  public Optional<MountRecord> getMount(String containerId) throws IOException {
    Path dir = mountDir(containerId);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return Optional.of(readMount(containerId, dir));
  }

  private MountRecord readMount(String containerId, Path dir) throws IOException {
    try {
      String mountId = readTrimmed(dir.resolve(MOUNT_ID));
      Path init = dir.resolve(INIT_ID);
      String initId = Files.exists(init, LinkOption.NOFOLLOW_LINKS) ? readTrimmed(init) : null;
      if (initId != null && !MOUNT_ID_TEXT.matcher(initId).matches()) {
        throw new LayerStoreException(init + ": invalid init id \"" + initId + "\"");
      }
      Path parentFile = dir.resolve(PARENT);
      ChainId parent =
          Files.exists(parentFile, LinkOption.NOFOLLOW_LINKS)
              ? ChainId.parse(readTrimmed(parentFile))
              : null;
      return new MountRecord(containerId, mountId, initId, parent);
    } catch (IllegalArgumentException e) {
      throw new LayerStoreException(dir + ": corrupt container layer record: " + e.getMessage(), e);
    } catch (NoSuchFileException e) {
      throw new LayerStoreException(
          dir + ": corrupt container layer record: missing " + e.getFile(), e);
    }
  }

  /**
   * Every container read-write layer recorded, Docker's and ours; entries that cannot be read are
   * logged and left out.
   */
  public List<MountRecord> listMounts() throws IOException {
    List<MountRecord> out = new ArrayList<>();
    if (!Files.isDirectory(mountsDir())) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(mountsDir())) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (!HEX64.matcher(name).matches() || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try {
          out.add(readMount(name, p));
        } catch (IOException e) {
          LOG.warn("skipping unreadable container layer record {}: {}", p, e.getMessage());
        }
      }
    }
    return out;
  }

  /**
   * Deletes a container's record; absent is fine. {@code mount-id} goes first, so that an
   * interrupted removal leaves a directory Docker skips (it needs that file) rather than a half
   * record it would load.
   */
  public void removeMount(String containerId) throws IOException {
    Path dir = mountDir(containerId);
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.deleteIfExists(dir.resolve(MOUNT_ID));
    files.syncDir(dir);
    deleteFlatDir(dir);
    files.syncDir(mountsDir());
  }

  /** Reads the cache id recorded in a staging directory, or null. */
  public static String cacheIdOf(Path writeSetDir) throws IOException {
    Path p = writeSetDir.resolve(CACHE_ID);
    return Files.exists(p) ? readTrimmed(p) : null;
  }
}

package io.layerstore.aufs;

import io.layerstore.ConflictException;
import io.layerstore.LayerStoreException;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.archive.AufsWhiteouts;
import io.layerstore.platform.KernelMounts;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import io.layerstore.spi.BranchIntrospection;
import io.layerstore.spi.DriverContext;
import io.layerstore.spi.GraphDriver;
import io.layerstore.spi.LayerMounts;
import io.layerstore.spi.MountCopies;
import io.layerstore.spi.WhiteoutFormat;
import io.layerstore.store.AtomicFiles;
import io.layerstore.union.UnionFileSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Docker's aufs graph driver (docs/aufs-layout.md): each layer is a branch directory {@code diff/<id>}
 * holding its files with whiteouts in aufs's own form ({@code .wh.NAME}, {@code .wh..wh..opq}, the
 * same names as in layer tarballs), {@code layers/<id>} lists its ancestors, and {@link #get}
 * stacks the branches at {@code mnt/<id>}.
 *
 * <p>Where {@code <proc>/filesystems} lists aufs (and the platform may mount), that is a kernel
 * mount with Docker's exact options ({@link AufsMountData}); everywhere else — this includes every
 * current mainline kernel — it is the in-process union over the same branch directories, which
 * shows the same tree. Either way {@link #branches} lists the stack as {@code /proc/mounts} and
 * {@code /sys/fs/aufs/si_<si>/br<N>} show it.
 *
 * <p>Deliberate differences from Docker: the parent is checked before anything is created, so a
 * create on a missing parent leaves nothing behind (Docker leaves {@code mnt/}, {@code diff/} and
 * an empty {@code layers/} file, and {@code Exists} turns true); {@link #get} of an unknown id
 * fails (Docker returns {@code diff/<id>}); a layer is removed only when nobody has it mounted
 * (Docker unmounts it); and the {@code layers/<id>} file is written atomically, last.
 *
 * <p>Driver options: {@code aufs.proc} and {@code aufs.sys} (the procfs and sysfs roots, default
 * {@code /proc} and {@code /sys}), {@code aufs.auplink} (the auplink program, default found on the
 * PATH, {@code none} for none), {@code aufs.mountlabel} (an SELinux mount label).
 */
final class AufsDriver implements GraphDriver, BranchIntrospection {
  private static final Logger LOG = LoggerFactory.getLogger(AufsDriver.class);

  static final String OPT_PROC = "aufs.proc";
  static final String OPT_SYS = "aufs.sys";
  static final String OPT_AUPLINK = "aufs.auplink";
  static final String OPT_MOUNT_LABEL = "aufs.mountlabel";

  /** File systems aufs cannot stack on (statfs magic in Docker; NIO's type names here). */
  private static final Set<String> INCOMPATIBLE = Set.of("aufs", "btrfs", "ecryptfs");

  private final AufsLayout layout;
  private final Platform platform;
  private final WhiteoutFormat whiteouts = new AufsWhiteouts();
  private final SecureRandom random = new SecureRandom();
  private final AufsKernel kernel;
  private final AufsBranchReader reader;
  private final LayerMounts mounts;
  /** One Tree per diff dir: emulated trees keep records in memory and must not be duplicated. */
  private final ConcurrentHashMap<String, Tree> trees = new ConcurrentHashMap<>();

  AufsDriver(DriverContext ctx) throws IOException {
    this.layout = new AufsLayout(ctx.dataRoot().resolve(AufsLayout.NAME));
    this.platform = ctx.platform();
    Path proc = option(ctx, OPT_PROC, "/proc");
    Path sys = option(ctx, OPT_SYS, "/sys");
    this.reader = new AufsBranchReader(proc, sys);
    Optional<KernelMounts> km = platform.kernelMounts();
    boolean useKernel = km.isPresent() && listsAufs(proc);
    ensureDir(layout.home());
    ensureDir(layout.mntDir());
    ensureDir(layout.diffDir());
    ensureDir(layout.layersDir());
    if (useKernel) {
      String backing = Files.getFileStore(layout.home()).type();
      if (INCOMPATIBLE.contains(backing)) {
        throw new LayerStoreException("aufs: " + layout.home() + " is on " + backing + ", which aufs cannot stack on");
      }
      String label = ctx.options().getOrDefault(OPT_MOUNT_LABEL, "");
      this.kernel = new AufsKernel(layout, km.get(), this::parents, Auplink.find(ctx.options().get(OPT_AUPLINK)), label, proc);
    } else {
      this.kernel = null;
    }
    Path mountState = ctx.stateDir().resolve("mounts");
    // Without the kernel's aufs, `layerstore mount` leaves a read-only mount behind as a copy at
    // mnt/<id>, which other programs can read as they would the kernel mount.
    MountCopies copies = kernel == null && platform.isNative()
        ? new MountCopies(AufsLayout.NAME, platform, mountState.resolve(AufsLayout.NAME + "-copies"), layout::mnt,
            this::stack, whiteouts)
        : null;
    this.mounts = new LayerMounts(AufsLayout.NAME, mountState.resolve(AufsLayout.NAME), kernel, copies);
    cleanStale();
    LOG.debug("aufs at {}: {}", layout.home(), useKernel ? "kernel mounts" : "in-process union");
  }

  private static Path option(DriverContext ctx, String key, String dflt) {
    return ctx.dataRoot().getFileSystem().getPath(ctx.options().getOrDefault(key, dflt));
  }

  /** Docker's supportsAufs: any line of {@code /proc/filesystems} containing "aufs". */
  private static boolean listsAufs(Path proc) {
    try {
      for (String line : Files.readAllLines(proc.resolve("filesystems"), StandardCharsets.US_ASCII)) {
        if (line.contains("aufs")) {
          return true;
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read {}: {}", proc.resolve("filesystems"), e.toString());
    }
    return false;
  }

  /** Removes what interrupted removes and creates left: {@code *-removing} dirs, temp layers files. */
  private void cleanStale() throws IOException {
    for (Path dir : new Path[] {layout.mntDir(), layout.diffDir()}) {
      for (Path p : children(dir)) {
        if (p.getFileName().toString().endsWith(AufsLayout.REMOVING_SUFFIX)) {
          LOG.info("aufs: removing the leftover {}", p);
          platform.deleteRecursively(p);
        }
      }
    }
    for (Path p : children(layout.layersDir())) {
      if (p.getFileName().toString().startsWith(AufsLayout.TEMP_PREFIX)) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static List<Path> children(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(out::add);
    }
    return out;
  }

  /** Whether this instance mounts with the kernel (else the in-process union). */
  boolean usesKernel() {
    return kernel != null;
  }

  /** The kernel side, for tests of the mount sequence; null in-process. */
  AufsKernel kernel() {
    return kernel;
  }

  AufsLayout layout() {
    return layout;
  }

  @Override
  public String name() {
    return AufsLayout.NAME;
  }

  @Override
  public Path home() {
    return layout.home();
  }

  @Override
  public WhiteoutFormat whiteouts() {
    return whiteouts;
  }

  // ---- create / remove ------------------------------------------------------------------------

  @Override
  public void create(String id, String parent) throws IOException {
    checkId(id);
    if (exists(id)) {
      throw new FileAlreadyExistsException(layout.layersFile(id).toString(), null, "aufs: layer already exists");
    }
    List<String> ancestors = new ArrayList<>();
    if (parent != null) {
      checkId(parent);
      if (!exists(parent)) {
        throw new NotFoundException("aufs: parent layer " + parent + " of " + id + " does not exist");
      }
      ancestors.add(parent);
      ancestors.addAll(parents(parent));
      if (ancestors.size() > AufsLayout.MAX_PARENTS) {
        throw new LayerStoreException("aufs: max depth exceeded: " + id + " would have " + ancestors.size()
            + " ancestors; aufs stacks at most " + (AufsLayout.MAX_PARENTS + 1) + " branches");
      }
    }
    // Without its layers file an id is no layer: dirs an interrupted create left are replaced.
    removeDir(layout.diff(id));
    removeDir(layout.mnt(id));
    Files.deleteIfExists(layout.emulatedAttrs(id));
    try {
      Files.createDirectory(layout.mnt(id));
      AtomicFiles.setMode(layout.mnt(id), AufsLayout.LAYER_DIR_MODE);
      Files.createDirectory(layout.diff(id));
      AtomicFiles.setMode(layout.diff(id), AufsLayout.LAYER_DIR_MODE);
      Path tmp = layout.layersTemp(id, HexFormat.of().formatHex(randomBytes(6)));
      try {
        Files.write(tmp, AufsLayout.formatLayers(ancestors).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.setMode(tmp, AufsLayout.LAYERS_FILE_MODE);
        Files.move(tmp, layout.layersFile(id), StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException | RuntimeException e) {
      try {
        removeDir(layout.diff(id));
        removeDir(layout.mnt(id));
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  @Override
  public boolean exists(String id) {
    return AufsLayout.isValidId(id) && Files.isRegularFile(layout.layersFile(id), LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public List<String> list() throws IOException {
    List<String> out = new ArrayList<>();
    for (Path p : children(layout.layersDir())) {
      String name = p.getFileName().toString();
      if (AufsLayout.isValidId(name) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * Docker's order: the layers file first (so the id no longer exists), then each directory renamed
   * to {@code <id>-removing} and deleted, so a crash never leaves a half-deleted branch in use.
   */
  @Override
  public void remove(String id) throws IOException {
    checkId(id);
    if (mounts.isMounted(id)) {
      throw new ConflictException("aufs: layer " + id + " is mounted; unmount it before removing");
    }
    trees.remove(id);
    Files.deleteIfExists(layout.layersFile(id));
    removeDir(layout.diff(id));
    removeDir(layout.mnt(id));
    Files.deleteIfExists(layout.emulatedAttrs(id));
  }

  /** Renames {@code dir} to {@code dir-removing} and deletes that; absent is fine. */
  private void removeDir(Path dir) throws IOException {
    Path removing = AufsLayout.removing(dir);
    if (Files.exists(removing, LinkOption.NOFOLLOW_LINKS)) {
      platform.deleteRecursively(removing);
    }
    try {
      Files.move(dir, removing, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      return;
    }
    platform.deleteRecursively(removing);
  }

  // ---- chain ----------------------------------------------------------------------------------

  @Override
  public List<String> parents(String id) throws IOException {
    requireLayer(id);
    Path f = layout.layersFile(id);
    List<String> ids = AufsLayout.parseLayers(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
    for (String p : ids) {
      if (!AufsLayout.isValidId(p)) {
        throw new LayerStoreException("aufs: " + f + " names an invalid layer id \"" + p + "\"");
      }
    }
    return ids;
  }

  @Override
  public Tree diff(String id) throws IOException {
    requireLayer(id);
    return tree(id);
  }

  private Tree tree(String id) {
    return trees.computeIfAbsent(id, k -> platform.tree(layout.diff(k), layout.emulatedAttrs(k)));
  }

  // ---- mounts ---------------------------------------------------------------------------------

  @Override
  public Mount get(String id, boolean writable) throws IOException {
    requireLayer(id);
    if (kernel == null) {
      return mounts.union(id, writable, () -> openUnion(id, writable));
    }
    if (writable && parents(id).isEmpty()) {
      // Like Docker: a layer without ancestors needs no mount, its branch is its root.
      return mounts.direct(id, layout.diff(id), true);
    }
    return mounts.kernel(id, writable);
  }

  /** The branches of {@code id}'s mount, top first. */
  private List<Tree> stack(String id) throws IOException {
    requireLayer(id);
    List<Tree> branches = new ArrayList<>();
    branches.add(tree(id));
    for (String p : parents(id)) {
      branches.add(tree(p));
    }
    return branches;
  }

  private java.nio.file.FileSystem openUnion(String id, boolean writable) throws IOException {
    List<Tree> branches = stack(id);
    if (writable && branches.size() > 1) {
      addBranchMeta(tree(id));
    }
    return UnionFileSystem.open(branches, whiteouts, writable);
  }

  /**
   * What aufs puts in the root of a branch it mounts writable (docs/aufs-layout.md §4.2), so the branch
   * looks after an in-process mount as after a kernel one: the whiteout base {@code .wh..wh.aufs}
   * (0444) and the {@code .wh..wh.plnk/} and {@code .wh..wh.orph/} dirs (0700). Never content: the
   * union hides them, diffs and change lists leave them out.
   */
  private static void addBranchMeta(Tree tree) throws IOException {
    Path root = tree.root();
    Path base = root.resolve(AufsLayout.WH_BASE);
    if (tree.statIfExists(base) == null) {
      Files.createFile(base);
      tree.setMode(base, 0444);
    }
    for (String dir : new String[] {AufsLayout.WH_PLINK, AufsLayout.WH_ORPH}) {
      Path p = root.resolve(dir);
      if (tree.statIfExists(p) == null) {
        Files.createDirectory(p);
        tree.setMode(p, 0700);
      }
    }
    tree.flush();
  }

  @Override
  public boolean isMounted(String id) throws IOException {
    return mounts.isMounted(id);
  }

  @Override
  public void unmountAll(String id) throws IOException {
    mounts.unmountAll(id);
  }

  // ---- introspection --------------------------------------------------------------------------

  /** The first aufs branch id of a fresh mount: AUFS_BRANCH_MAX / 2 + 1. */
  static final long FIRST_BRANCH_ID = 64;

  @Override
  public Optional<MountBranches> branches(String id) throws IOException {
    requireLayer(id);
    String mountPoint = layout.mnt(id).toString();
    if (kernel != null) {
      return kernel.isMounted(id) ? reader.read(mountPoint) : Optional.empty();
    }
    Optional<Boolean> writable = mounts.localWritable(id);
    if (writable.isEmpty()) {
      return Optional.empty();
    }
    List<Branch> out = new ArrayList<>();
    out.add(new Branch(0, layout.diff(id).toString(), writable.get() ? "rw" : "ro+wh", FIRST_BRANCH_ID));
    int i = 1;
    for (String p : parents(id)) {
      out.add(new Branch(i, layout.diff(p).toString(), "ro+wh", FIRST_BRANCH_ID + i));
      i++;
    }
    return Optional.of(new MountBranches(mountPoint, syntheticSi(mountPoint), out, AufsMountData.XINO, false));
  }

  /** A stable made-up si for an in-process mount: like the kernel's, lowercase hex without padding. */
  static String syntheticSi(String mountPoint) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(mountPoint.getBytes(StandardCharsets.UTF_8));
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (h[i] & 0xff);
      }
      return Long.toHexString(v == 0 ? 1 : v);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- sizes and facts ------------------------------------------------------------------------

  /** Docker's rule: non-directories with a size, symlinks by target length, each inode once. */
  @Override
  public long diffSize(String id) throws IOException {
    requireLayer(id);
    long[] total = {0};
    Set<Object> seen = new HashSet<>();
    Files.walkFileTree(layout.diff(id), new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
        if (a.isSymbolicLink()) {
          total[0] += Files.readSymbolicLink(file).toString().getBytes(StandardCharsets.UTF_8).length;
        } else if (a.isRegularFile() && a.size() > 0) {
          Object key = a.fileKey();
          if (key == null || seen.add(key)) {
            total[0] += a.size();
          }
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return total[0];
  }

  /** Docker's four pairs, in its order. */
  @Override
  public Map<String, String> status() throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("Root Dir", layout.home().toString());
    m.put("Backing Filesystem", Files.getFileStore(layout.home()).type());
    int dirs = 0;
    for (Path p : children(layout.layersDir())) {
      if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !p.getFileName().toString().startsWith(".")) {
        dirs++;
      }
    }
    m.put("Dirs", Integer.toString(dirs));
    m.put("Dirperm1 Supported", Boolean.toString(kernel != null && kernel.dirperm1()));
    return m;
  }

  /** Docker's aufs GetMetadata returns nothing. */
  @Override
  public Map<String, String> metadata(String id) throws IOException {
    requireLayer(id);
    return Map.of();
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    try {
      mounts.close();
    } catch (IOException e) {
      failure = e;
    }
    for (Tree t : trees.values()) {
      try {
        t.flush();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private void requireLayer(String id) throws IOException {
    checkId(id);
    if (!exists(id)) {
      // Docker's Get of an unknown id returns diff/<id>; we say what is wrong instead.
      throw new NotFoundException("aufs: layer " + id + " does not exist");
    }
  }

  private static void checkId(String id) {
    if (!AufsLayout.isValidId(id)) {
      throw new IllegalArgumentException("aufs: invalid layer id \"" + id + "\"");
    }
  }

  private static void ensureDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir);
      AtomicFiles.setMode(dir, AufsLayout.HOME_MODE);
    }
  }
}

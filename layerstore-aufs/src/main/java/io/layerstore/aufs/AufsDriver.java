package io.layerstore.aufs;

import io.layerstore.LayerStoreException;
import io.layerstore.spi.BranchIntrospection;
import io.layerstore.spi.DriverContext;
import io.layerstore.spi.DriverSupport;
import io.layerstore.spi.MountCalls;
import io.layerstore.spi.WhiteoutStyle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Docker's aufs graph driver (docs/aufs-layout.md): each layer is a branch directory {@code
 * diff/<id>} holding its files with whiteouts in aufs's own form ({@code .wh.NAME}, {@code
 * .wh..wh..opq}, the same names as in layer tarballs), {@code layers/<id>} lists its ancestors, and
 * {@link #get} stacks the branches at {@code mnt/<id>}.
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
final class AufsDriver extends DriverSupport<AufsLayout> implements BranchIntrospection {
  private static final Logger LOG = LoggerFactory.getLogger(AufsDriver.class);

  static final String OPT_PROC = "aufs.proc";
  static final String OPT_SYS = "aufs.sys";
  static final String OPT_AUPLINK = "aufs.auplink";
  static final String OPT_MOUNT_LABEL = "aufs.mountlabel";

  /** File systems aufs cannot stack on (statfs magic in Docker; NIO's type names here). */
  private static final Set<String> INCOMPATIBLE = Set.of("aufs", "btrfs", "ecryptfs");

  private final AufsLayout layout;
  private final AufsKernel kernel;
  private final AufsBranchReader reader;

  AufsDriver(DriverContext ctx) throws IOException {
    super(AufsLayout.NAME, ctx, WhiteoutStyle.AUFS, AufsLayout::new);
    this.layout = layout();
    Path proc = option(ctx, OPT_PROC, "/proc");
    Path sys = option(ctx, OPT_SYS, "/sys");
    this.reader = new AufsBranchReader(proc, sys);
    Optional<MountCalls> km = mountCalls();
    boolean useKernel = km.isPresent() && listsAufs(proc);
    ensureDir(layout.home(), AufsLayout.HOME_MODE);
    ensureDir(layout.mntDir(), AufsLayout.HOME_MODE);
    ensureDir(layout.diffDir(), AufsLayout.HOME_MODE);
    ensureDir(layout.layersDir(), AufsLayout.HOME_MODE);
    if (useKernel) {
      String backing = Files.getFileStore(layout.home()).type();
      if (INCOMPATIBLE.contains(backing)) {
        throw new LayerStoreException(
            "aufs: " + layout.home() + " is on " + backing + ", which aufs cannot stack on");
      }
      String label = ctx.options().getOrDefault(OPT_MOUNT_LABEL, "");
      this.kernel =
          new AufsKernel(
              layout,
              km.get(),
              this::parents,
              Auplink.find(ctx.options().get(OPT_AUPLINK)),
              label,
              proc);
    } else {
      this.kernel = null;
    }
    // Without the kernel's aufs, `layerstore mount` leaves a read-only mount behind as a copy at
    // mnt/<id>, which other programs can read as they would the kernel mount.
    mountWith(kernel, true);
    cleanStale();
    LOG.debug("aufs at {}: {}", layout.home(), useKernel ? "kernel mounts" : "in-process union");
  }

  private static Path option(DriverContext ctx, String key, String dflt) {
    return ctx.dataRoot().getFileSystem().getPath(ctx.options().getOrDefault(key, dflt));
  }

  /** Docker's supportsAufs: any line of {@code /proc/filesystems} containing "aufs". */
  private static boolean listsAufs(Path proc) {
    try {
      for (String line :
          Files.readAllLines(proc.resolve("filesystems"), StandardCharsets.US_ASCII)) {
        if (line.contains("aufs")) {
          return true;
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read {}: {}", proc.resolve("filesystems"), e.toString());
    }
    return false;
  }

  /**
   * Removes what interrupted removes and creates left: {@code *-removing} dirs, temp layers files.
   */
  private void cleanStale() throws IOException {
    for (Path dir : new Path[] {layout.mntDir(), layout.diffDir()}) {
      for (Path p : children(dir)) {
        if (p.getFileName().toString().endsWith(AufsLayout.REMOVING_SUFFIX)) {
          LOG.info("aufs: removing the leftover {}", p);
          deleteRecursively(p);
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

  // ---- create / remove ------------------------------------------------------------------------

  @Override
  public void create(String id, String parent) throws IOException {
    checkId(id);
    if (exists(id)) {
      throw new FileAlreadyExistsException(
          layout.layersFile(id).toString(), null, "aufs: layer already exists");
    }
    List<String> ancestors = new ArrayList<>();
    if (parent != null) {
      requireParent(id, parent);
      ancestors.add(parent);
      ancestors.addAll(parents(parent));
      if (ancestors.size() > AufsLayout.MAX_PARENTS) {
        throw new LayerStoreException(
            "aufs: max depth exceeded: "
                + id
                + " would have "
                + ancestors.size()
                + " ancestors; aufs stacks at most "
                + (AufsLayout.MAX_PARENTS + 1)
                + " branches");
      }
    }
    // Without its layers file an id is no layer: dirs an interrupted create left are replaced.
    removeDir(layout.diff(id));
    removeDir(layout.mnt(id));
    Files.deleteIfExists(layout.emulatedAttrs(id));
    try {
      Files.createDirectory(layout.mnt(id));
      setMode(layout.mnt(id), AufsLayout.LAYER_DIR_MODE);
      Files.createDirectory(layout.diff(id));
      setMode(layout.diff(id), AufsLayout.LAYER_DIR_MODE);
      Path tmp = layout.layersTemp(id, HexFormat.of().formatHex(randomBytes(6)));
      try {
        Files.write(tmp, AufsLayout.formatLayers(ancestors).getBytes(StandardCharsets.UTF_8));
        setMode(tmp, AufsLayout.LAYERS_FILE_MODE);
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

  /**
   * Docker's order: the layers file first (so the id no longer exists), then each directory renamed
   * to {@code <id>-removing} and deleted, so a crash never leaves a half-deleted branch in use.
   */
  @Override
  protected void deleteLayer(String id) throws IOException {
    Files.deleteIfExists(layout.layersFile(id));
    removeDir(layout.diff(id));
    removeDir(layout.mnt(id));
    Files.deleteIfExists(layout.emulatedAttrs(id));
  }

  /** Renames {@code dir} to {@code dir-removing} and deletes that; absent is fine. */
  private void removeDir(Path dir) throws IOException {
    Path removing = AufsLayout.removing(dir);
    if (Files.exists(removing, LinkOption.NOFOLLOW_LINKS)) {
      deleteRecursively(removing);
    }
    try {
      Files.move(dir, removing, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      return;
    }
    deleteRecursively(removing);
  }

  // ---- chain ----------------------------------------------------------------------------------

  @Override
  public List<String> parents(String id) throws IOException {
    requireLayer(id);
    Path f = layout.layersFile(id);
    List<String> ids =
        AufsLayout.parseLayers(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
    for (String p : ids) {
      if (!AufsLayout.isValidId(p)) {
        throw new LayerStoreException("aufs: " + f + " names an invalid layer id \"" + p + "\"");
      }
    }
    return ids;
  }

  /**
   * What aufs puts in the root of a branch it mounts writable (docs/aufs-layout.md §4.2), so the
   * branch looks after an in-process mount as after a kernel one: the whiteout base {@code
   * .wh..wh.aufs} (0444) and the {@code .wh..wh.plnk/} and {@code .wh..wh.orph/} dirs (0700). Never
   * content: the union hides them, diffs and change lists leave them out.
   */
  @Override
  protected void prepareWritableBranch(String id) throws IOException {
    addBranchEntry(id, AufsLayout.WH_BASE, false, 0444);
    addBranchEntry(id, AufsLayout.WH_PLINK, true, 0700);
    addBranchEntry(id, AufsLayout.WH_ORPH, true, 0700);
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
    Optional<Boolean> writable = localMountWritable(id);
    if (writable.isEmpty()) {
      return Optional.empty();
    }
    List<Branch> out = new ArrayList<>();
    out.add(
        new Branch(
            0, layout.diff(id).toString(), writable.get() ? "rw" : "ro+wh", FIRST_BRANCH_ID));
    int i = 1;
    for (String p : parents(id)) {
      out.add(new Branch(i, layout.diff(p).toString(), "ro+wh", FIRST_BRANCH_ID + i));
      i++;
    }
    return Optional.of(
        new MountBranches(mountPoint, syntheticSi(mountPoint), out, AufsMountData.XINO, false));
  }

  /**
   * A stable made-up si for an in-process mount: like the kernel's, lowercase hex without padding.
   */
  static String syntheticSi(String mountPoint) {
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256").digest(mountPoint.getBytes(StandardCharsets.UTF_8));
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (h[i] & 0xff);
      }
      return Long.toHexString(v == 0 ? 1 : v);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- facts ----------------------------------------------------------------------------------

  /** Docker's four pairs, in its order. */
  @Override
  public Map<String, String> status() throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("Root Dir", layout.home().toString());
    m.put("Backing Filesystem", backingFilesystem(layout.home()));
    int dirs = 0;
    for (Path p : children(layout.layersDir())) {
      if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
          && !p.getFileName().toString().startsWith(".")) {
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
}

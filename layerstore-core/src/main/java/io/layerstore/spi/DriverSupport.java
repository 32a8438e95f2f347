package io.layerstore.spi;

import io.layerstore.ConflictException;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What every graph driver does the same way, so that a driver holds only its on-disk layout and its
 * kernel mount (the role of moby's {@code NaiveDiffDriver} and {@code graphdriver} helpers): id
 * checks, the layer directories core works on, mounting (reference counts shared between processes,
 * the in-process union where the kernel cannot mount, a writable base layer used directly, copies
 * left behind), removal refused while mounted, Docker's diff size, and closing.
 *
 * <p>A driver extends this class, gives its name, context, {@link WhiteoutStyle} and layout (which
 * says where a layer's files are) to the constructor, says in its own constructor how it mounts
 * ({@link #mountWith}), and implements the rest of its layout: {@link #create}, {@link #parents},
 * {@link #deleteLayer}, and its facts ({@link #status}, {@link #metadata}).
 *
 * <p>What it needs of the platform (kernel mounts, deleting trees, entries in a layer directory,
 * the in-process union and its copies) comes through the {@link DriverPlatform} of the driver's
 * {@link DriverContext}, in exported types, so a driver that does not extend it can do the same.
 *
 * @param <L> the driver's layout
 */
public abstract class DriverSupport<L extends DriverLayout> implements GraphDriver {

  private final String name;
  private final Path home;
  private final Path stateDir;
  private final L layout;
  private final DriverPlatform platform;
  private final WhiteoutStyle style;

  private final SecureRandom random = new SecureRandom();
  private KernelMounter kernel;
  private volatile LayerMounts mounts;

  /**
   * Sets up what every driver has; the driver's own constructor then calls {@link #mountWith}.
   *
   * @param name the driver's name, also its home under the data-root and the prefix of its messages
   * @param context what the driver was opened with
   * @param style how the driver's diff dirs record deletions
   * @param layout makes the driver's layout for its home
   */
  protected DriverSupport(
      String name, DriverContext context, WhiteoutStyle style, Function<Path, L> layout) {
    this.name = name;
    this.home = context.dataRoot().resolve(name);
    this.layout = layout.apply(home);
    this.stateDir = context.stateDir();
    this.platform = context.platform();
    this.style = style;
  }

  /**
   * Says how layers are mounted; a driver's constructor calls this once. Without a kernel mounter,
   * {@link #get} opens the in-process union over the diff dirs.
   *
   * @param kernel the driver's kernel mounting, or {@code null} where it makes no kernel mounts
   * @param copies whether a read-only in-process mount that must outlive the process ({@link
   *     Mount#leaveMounted}) is left behind as a copy at its mount point (only on a native platform
   *     without kernel mounting), so other programs can read it as they would the kernel mount;
   *     otherwise that is refused
   * @throws IOException if this process cannot be named for the mount counts it will hold
   */
  protected final void mountWith(KernelMounter kernel, boolean copies) throws IOException {
    if (mounts != null) {
      throw new IllegalStateException(name + ": mountWith was called already");
    }
    Path mountState = stateDir.resolve("mounts");
    MountCopies copier =
        copies && kernel == null && platform.isNative()
            ? new MountCopies(
                name,
                platform,
                mountState.resolve(name + "-copies"),
                layout::mountPoint,
                this::branches,
                style)
            : null;
    this.kernel = kernel;
    this.mounts =
        new LayerMounts(name, mountState.resolve(name), kernel, layout::mountPoint, copier);
  }

  // ---- what a driver says about its layout --------------------------------------------------

  /**
   * The driver's layout, made by the constructor.
   *
   * @return the layout
   */
  protected final L layout() {
    return layout;
  }

  /**
   * Deletes everything the driver has on disk for {@code id}, which is not mounted; absent is fine.
   *
   * @param id the layer to delete
   * @throws IOException if something could not be deleted
   */
  protected abstract void deleteLayer(String id) throws IOException;

  /**
   * Called before a writable in-process union over {@code id} and its ancestors opens; a driver
   * whose kernel mount puts bookkeeping into the writable branch puts it there too ({@link
   * #addBranchEntry}). Nothing by default.
   *
   * @param id the layer whose directory becomes the writable branch
   * @throws IOException if the bookkeeping cannot be made
   */
  protected void prepareWritableBranch(String id) throws IOException {}

  // ---- GraphDriver, the same for every driver -------------------------------------------------

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final Path home() {
    return home;
  }

  @Override
  public final WhiteoutStyle whiteoutStyle() {
    return style;
  }

  /** Whether the {@link DriverLayout#layerIndex} has an entry for {@code id}, of the right kind. */
  @Override
  public final boolean exists(String id) {
    DriverLayout l = layout();
    return l.isLayerId(id) && isIndexEntry(l, l.layerIndex().resolve(id));
  }

  /** The ids in the {@link DriverLayout#layerIndex}. */
  @Override
  public final List<String> list() throws IOException {
    DriverLayout l = layout();
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(l.layerIndex())) {
      for (Path p : ds) {
        String id = p.getFileName().toString();
        if (l.isLayerId(id) && isIndexEntry(l, p)) {
          out.add(id);
        }
      }
    }
    return out;
  }

  @Override
  public final LayerDir diff(String id) throws IOException {
    requireLayer(id);
    return layerDir(id);
  }

  @Override
  public final void remove(String id) throws IOException {
    checkId(id);
    if (isMounted(id)) {
      throw new ConflictException(
          name + ": layer " + id + " is mounted; unmount it before removing");
    }
    forgetTree(id);
    deleteLayer(id);
  }

  @Override
  public final Mount get(String id, boolean writable) throws IOException {
    requireLayer(id);
    LayerMounts m = mounts();
    if (kernel == null) {
      return m.union(id, writable, () -> openUnion(id, writable));
    }
    if (writable && parents(id).isEmpty()) {
      // Like Docker: a layer without ancestors needs no mount, its diff dir is its root.
      return m.direct(id, layout().diff(id), true);
    }
    return m.kernel(id, writable);
  }

  @Override
  public final boolean isMounted(String id) throws IOException {
    return mounts().isMounted(id);
  }

  @Override
  public final void unmountAll(String id) throws IOException {
    mounts().unmountAll(id);
  }

  @Override
  public final boolean unmount(String id) throws IOException {
    return mounts().unmountLeft(id);
  }

  @Override
  public final List<String> abandonedMounts(boolean reclaim) throws IOException {
    return mounts().abandoned(reclaim);
  }

  /** Docker's rule: non-directories with a size, symlinks by target length, each inode once. */
  @Override
  public final long diffSize(String id) throws IOException {
    requireLayer(id);
    long[] total = {0};
    Set<Object> seen = new HashSet<>();
    Files.walkFileTree(
        layout().diff(id),
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
            if (a.isSymbolicLink()) {
              total[0] +=
                  Files.readSymbolicLink(file).toString().getBytes(StandardCharsets.UTF_8).length;
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

  /**
   * Gives back every mount this instance holds, then writes out the metadata the platform buffers
   * for the layer directories.
   */
  @Override
  public final void close() throws IOException {
    IOException failure = null;
    try {
      mounts().close();
    } catch (IOException e) {
      failure = e;
    }
    try {
      platform.flush();
    } catch (IOException e) {
      failure = LayerMounts.collect(failure, e);
    }
    if (failure != null) {
      throw failure;
    }
  }

  // ---- for drivers ------------------------------------------------------------------------------

  /**
   * The kernel's mount calls, where the platform may mount (Linux, with privilege).
   *
   * @return the mount calls, or empty where the driver must not make kernel mounts
   */
  protected final Optional<MountCalls> mountCalls() {
    return platform.mountCalls();
  }

  /**
   * {@code n} random bytes, for names that must not collide (link ids, temporary files).
   *
   * @param n how many bytes
   * @return fresh random bytes from a {@link SecureRandom}
   */
  protected final byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /**
   * Whether the platform keeps metadata natively (else some of it is emulated beside the files).
   *
   * @return {@code true} on the native platform
   */
  protected final boolean isNativePlatform() {
    return platform.isNative();
  }

  /**
   * Whether this process's mounts of {@code id} are writable.
   *
   * @param id the layer
   * @return whether they are writable; empty if this process holds none
   */
  protected final Optional<Boolean> localMountWritable(String id) {
    return mounts().localWritable(id);
  }

  /**
   * Fails with {@link IllegalArgumentException} unless {@code id} {@linkplain
   * DriverLayout#isLayerId can name a layer}.
   *
   * @param id the id to check
   */
  protected final void checkId(String id) {
    if (!layout().isLayerId(id)) {
      throw new IllegalArgumentException(name + ": invalid layer id \"" + id + "\"");
    }
  }

  /**
   * Fails unless {@code id} is valid and exists.
   *
   * @param id the layer
   * @throws NotFoundException if there is no such layer
   * @throws IOException if the layer index cannot be read
   */
  protected final void requireLayer(String id) throws IOException {
    checkId(id);
    if (!exists(id)) {
      // Docker's Get of an unknown id returns a path anyway; we say what is wrong instead.
      throw new NotFoundException(name + ": layer " + id + " does not exist");
    }
  }

  /**
   * Fails unless {@code parent}, the parent {@code id} is to be created on, is valid and exists.
   *
   * @param id the layer to be created
   * @param parent its parent
   * @throws NotFoundException if there is no such parent
   * @throws IOException if the layer index cannot be read
   */
  protected final void requireParent(String id, String parent) throws IOException {
    checkId(parent);
    if (!exists(parent)) {
      throw new NotFoundException(
          name + ": parent layer " + parent + " of " + id + " does not exist");
    }
  }

  /**
   * Drops what core holds in memory of {@code id}'s metadata (before its files go), so a layer made
   * later under the same id starts afresh.
   *
   * @param id the layer about to be deleted
   */
  protected final void forgetTree(String id) {
    platform.forget(layerDir(id));
  }

  /**
   * Deletes {@code dir} and everything in it, with the platform's metadata of it.
   *
   * @param dir the directory to delete; absent is fine
   * @throws IOException if something could not be deleted
   */
  protected final void deleteRecursively(Path dir) throws IOException {
    platform.deleteRecursively(dir);
  }

  /**
   * Creates {@code entry} (a directory, or an empty file) in the root of {@code id}'s diff with
   * permission bits {@code mode}, unless it is there; through the layer's tree, so an emulated
   * platform keeps the mode too.
   *
   * @param id the layer
   * @param entry the entry's name, directly in the root of the layer's diff
   * @param directory whether to make a directory (else an empty regular file)
   * @param mode the permission bits
   * @throws IOException if the entry cannot be made
   */
  protected final void addBranchEntry(String id, String entry, boolean directory, int mode)
      throws IOException {
    platform.addEntry(layerDir(id), entry, directory, mode);
  }

  /**
   * Creates {@code dir} (and its parents) with {@code mode} unless it is a directory already.
   *
   * @param dir the directory
   * @param mode the nine permission bits of a directory it makes
   * @throws IOException if it cannot be made
   */
  protected static void ensureDir(Path dir, int mode) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir);
      setMode(dir, mode);
    }
  }

  /**
   * Sets the nine permission bits of a driver file where the file system has them.
   *
   * @param p the file, not followed if a symlink
   * @param mode the permission bits ({@code 0777})
   * @throws IOException if they cannot be set
   */
  protected static void setMode(Path p, int mode) throws IOException {
    PosixFileAttributeView v =
        Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (v == null) {
      return;
    }
    // PosixFilePermission lists owner read..others execute, i.e. bits 0400 down to 0001
    PosixFilePermission[] bits = PosixFilePermission.values();
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (0400 >> i)) != 0) {
        perms.add(bits[i]);
      }
    }
    v.setPermissions(perms);
  }

  /**
   * The file system {@code dir} is on, named as Docker's {@code Backing Filesystem} names it (from
   * the statfs magic: every ext2/3/4 is {@code extfs}, overlay is {@code overlayfs}, cifs is {@code
   * smb}); a file system Docker has no name for keeps the name the operating system gives it (jimfs
   * included).
   *
   * @param dir a directory on the file system
   * @return the name
   * @throws IOException if the file system cannot be told
   */
  protected static String backingFilesystem(Path dir) throws IOException {
    String type = Files.getFileStore(dir).type();
    return switch (type) {
      case "ext2", "ext3", "ext4" -> "extfs";
      case "overlay" -> "overlayfs";
      case "cifs", "smb3", "smbfs" -> "smb";
      case "nfs", "nfs4" -> "nfs";
      case "fuse.gpfs", "gpfs" -> "gpfs";
      default -> type;
    };
  }

  // ---- internals --------------------------------------------------------------------------------

  private LayerMounts mounts() {
    LayerMounts m = mounts;
    if (m == null) {
      throw new IllegalStateException(name + ": the driver's constructor did not call mountWith");
    }
    return m;
  }

  private static boolean isIndexEntry(DriverLayout l, Path p) {
    return l.indexesDirectories()
        ? Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
        : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
  }

  private LayerDir layerDir(String id) {
    return new LayerDir(layout().diff(id), layout().emulatedAttrs(id));
  }

  /** The directories of {@code id} and its ancestors, topmost first. */
  private List<LayerDir> branches(String id) throws IOException {
    requireLayer(id);
    List<LayerDir> branches = new ArrayList<>();
    branches.add(layerDir(id));
    for (String p : parents(id)) {
      branches.add(layerDir(p));
    }
    return branches;
  }

  private FileSystem openUnion(String id, boolean writable) throws IOException {
    List<LayerDir> branches = branches(id);
    if (writable && branches.size() > 1) {
      prepareWritableBranch(id);
    }
    return platform.openUnion(branches, style, writable);
  }
}

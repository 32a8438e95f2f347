package io.layerstore.overlay2;

import com.google.common.io.BaseEncoding;
import io.layerstore.LayerStoreException;
import io.layerstore.spi.DriverContext;
import io.layerstore.spi.DriverSupport;
import io.layerstore.spi.KernelMounter;
import io.layerstore.spi.MountCalls;
import io.layerstore.spi.WhiteoutStyle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Docker's overlay2 graph driver: each layer is a directory whose {@code diff/} holds the layer's
 * own files, a 26-character link id in {@code l/} keeps mount data short, and {@code lower} lists
 * the ancestors' links. On Linux with privilege, {@link #get} mounts the kernel's overlay file
 * system; elsewhere it opens an in-process union view over the same directories. What every driver
 * does alike (reference counts, the union view, removal, sizes) is {@link DriverSupport}'s; this
 * class is the overlay2 layout and mount.
 */
final class Overlay2Driver extends DriverSupport<Overlay2Layout> {
  private static final Logger LOG = LoggerFactory.getLogger(Overlay2Driver.class);

  private final Overlay2Layout layout;

  /** Orders the {@code committed} markers of parents between creates and removes of children. */
  private final Object committedLock = new Object();

  private final boolean indexOff;

  Overlay2Driver(DriverContext ctx) throws IOException {
    super(Overlay2Layout.NAME, ctx, WhiteoutStyle.OVERLAY, Overlay2Layout::new);
    this.layout = layout();
    mountWith(mountCalls().isPresent() ? new Mounter() : null, false);
    ensureDir(layout.home(), Overlay2Layout.HOME_MODE);
    ensureDir(layout.linkDir(), Overlay2Layout.LINK_DIR_MODE);
    this.indexOff =
        mountCalls().isPresent()
            && Files.exists(
                ctx.dataRoot().getFileSystem().getPath("/sys/module/overlay/parameters/index"));
  }

  // ---- create / remove ------------------------------------------------------------------------

  @Override
  public void create(String id, String parent) throws IOException {
    checkId(id);
    if (Files.exists(layout.layer(id), LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(
          layout.layer(id).toString(), null, "layer already exists");
    }
    String parentLower = null;
    String parentLink = null;
    if (parent != null) {
      requireParent(id, parent);
      parentLink = readLink(parent);
      parentLower = readLower(parent);
      int depth = parentLower.isEmpty() ? 1 : parentLower.split(":").length + 1;
      if (depth >= Overlay2Layout.MAX_DEPTH + 1) {
        throw new LayerStoreException(
            "overlay2: max depth exceeded: " + id + " would have " + depth + " lower layers");
      }
    }
    Path dir = layout.layer(id);
    Files.createDirectory(dir);
    setMode(dir, Overlay2Layout.LAYER_MODE);
    try {
      Path diff = layout.diff(id);
      Files.createDirectory(diff);
      setMode(diff, Overlay2Layout.DIFF_MODE);
      String linkId = newLinkId();
      Files.write(layout.linkFile(id), linkId.getBytes(StandardCharsets.US_ASCII));
      setMode(layout.linkFile(id), Overlay2Layout.FILE_MODE);
      Files.createSymbolicLink(
          layout.link(linkId),
          layout.home().getFileSystem().getPath(Overlay2Layout.linkTarget(id)));
      if (parent != null) {
        String lower =
            Overlay2Layout.lowerEntry(parentLink)
                + (parentLower.isEmpty() ? "" : ":" + parentLower);
        Files.write(layout.lowerFile(id), lower.getBytes(StandardCharsets.US_ASCII));
        setMode(layout.lowerFile(id), Overlay2Layout.FILE_MODE);
        Files.createDirectory(layout.work(id));
        setMode(layout.work(id), Overlay2Layout.WORK_MODE);
        Path committed = layout.committed(parent);
        synchronized (committedLock) {
          if (!Files.exists(committed)) {
            try {
              Files.createFile(committed);
              setMode(committed, Overlay2Layout.COMMITTED_MODE);
            } catch (FileAlreadyExistsException e) {
              // another child got there first
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      try {
        deleteLayerDir(id);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private String newLinkId() {
    return BaseEncoding.base32().encode(randomBytes(17)).substring(0, 26);
  }

  @Override
  protected void deleteLayer(String id) throws IOException {
    String parent = directParent(id);
    deleteLayerDir(id);
    if (parent != null) {
      dropCommittedIfChildless(parent);
    }
  }

  /** The layer {@code id} was created on, or null (a base layer, or a layer too broken to say). */
  private String directParent(String id) {
    try {
      List<String> lowers = lowerLinks(id);
      return lowers.isEmpty() ? null : layerOfLink(lowers.get(0));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * {@code committed} says a layer has a child; once its last child is removed the marker goes too,
   * so that creating and removing a child (a load that failed, a container removed) leaves the
   * parent exactly as it was.
   */
  private void dropCommittedIfChildless(String parent) throws IOException {
    synchronized (committedLock) {
      if (!exists(parent) || !Files.exists(layout.committed(parent), LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      String entry = Overlay2Layout.lowerEntry(readLink(parent));
      for (String id : list()) {
        String lower = readLower(id);
        if (lower.equals(entry) || lower.startsWith(entry + ":")) {
          return;
        }
      }
      Files.deleteIfExists(layout.committed(parent));
    }
  }

  private void deleteLayerDir(String id) throws IOException {
    forgetTree(id);
    forgetMountOptions(id);
    Path dir = layout.layer(id);
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path linkFile = layout.linkFile(id);
    if (Files.exists(linkFile)) {
      String link = new String(Files.readAllBytes(linkFile), StandardCharsets.US_ASCII).strip();
      if (Overlay2Layout.isValidLinkId(link)) {
        Files.deleteIfExists(layout.link(link));
      }
    }
    deleteRecursively(dir);
  }

  // ---- chain ----------------------------------------------------------------------------------

  private String readLink(String id) throws IOException {
    String link =
        new String(Files.readAllBytes(layout.linkFile(id)), StandardCharsets.US_ASCII).strip();
    if (!Overlay2Layout.isValidLinkId(link)) {
      throw new LayerStoreException(
          "overlay2: " + layout.linkFile(id) + " holds an invalid link id");
    }
    return link;
  }

  private String readLower(String id) throws IOException {
    Path f = layout.lowerFile(id);
    if (!Files.exists(f)) {
      return "";
    }
    return new String(Files.readAllBytes(f), StandardCharsets.US_ASCII).strip();
  }

  /** The lower entries ({@code l/<link>}) of {@code id}, nearest first, checked. */
  private List<String> lowerLinks(String id) throws IOException {
    String lower = readLower(id);
    List<String> out = new ArrayList<>();
    if (lower.isEmpty()) {
      return out;
    }
    for (String e : lower.split(":")) {
      if (!e.startsWith(Overlay2Layout.LINK_DIR + "/")
          || !Overlay2Layout.isValidLinkId(e.substring(2))) {
        throw new LayerStoreException(
            "overlay2: " + layout.lowerFile(id) + " has an invalid entry \"" + e + "\"");
      }
      out.add(e.substring(2));
    }
    return out;
  }

  private String layerOfLink(String link) throws IOException {
    Path target;
    try {
      target = Files.readSymbolicLink(layout.link(link));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new LayerStoreException("overlay2: missing link " + layout.link(link));
    }
    String t = target.toString();
    if (!t.startsWith("../") || !t.endsWith("/diff")) {
      throw new LayerStoreException("overlay2: link " + layout.link(link) + " points at " + t);
    }
    String id = t.substring(3, t.length() - 5);
    checkId(id);
    return id;
  }

  @Override
  public List<String> parents(String id) throws IOException {
    requireLayer(id);
    List<String> out = new ArrayList<>();
    for (String link : lowerLinks(id)) {
      out.add(layerOfLink(link));
    }
    return out;
  }

  // ---- mounts ---------------------------------------------------------------------------------

  /** Kernel overlay mounts at {@code <id>/merged}. */
  private final class Mounter implements KernelMounter {
    @Override
    public void mount(String id, boolean writable) throws IOException {
      kernelMount(id, writable);
    }

    @Override
    public void unmount(String id) throws IOException {
      kernelUnmount(id);
    }

    @Override
    public boolean isMounted(String id) throws IOException {
      return kernelMounted(id);
    }

    @Override
    public boolean isWritable(String id) {
      // access(2) says EROFS for a read-only mount, whoever made it
      return Files.isWritable(layout.merged(id));
    }
  }

  /**
   * Mounts {@code id} at its {@code merged/}, made first as Docker's Get makes it (and its Put
   * removes it). The options come from {@link #mountOptions}, read from disk once per layer and
   * mode.
   */
  private void kernelMount(String id, boolean writable) throws IOException {
    MountCalls km = mountCalls().orElseThrow();
    Path merged = layout.merged(id);
    makeMerged(merged);
    MountOptions o = mountOptions.get(new OptionsKey(id, writable));
    if (o == null) {
      o = mountOptions(id, writable, lowerLinks(id), km.pageSize());
      mountOptions.put(new OptionsKey(id, writable), o);
    }
    if (o.data == null) {
      // A single read-only layer: overlay needs two lowers without an upper, so bind it read-only.
      km.mount(layout.diff(id).toString(), merged, "none", MountCalls.MS_BIND, null);
      try {
        km.mount(
            "none",
            merged,
            "none",
            MountCalls.MS_BIND | MountCalls.MS_REMOUNT | MountCalls.MS_RDONLY,
            null);
      } catch (IOException e) {
        km.unmount(merged, MountCalls.MNT_DETACH);
        throw e;
      }
    } else if (o.relative) {
      km.mountFrom(layout.home(), "overlay", merged, "overlay", o.flags, o.data);
    } else {
      km.mount("overlay", merged, "overlay", o.flags, o.data);
    }
  }

  /**
   * Makes {@code merged/}; it is missing whenever the layer is not mounted, so the mkdir comes
   * first and the check only when it is there already (left by a crash, or mounted by another
   * process since). The mode goes with the mkdir, as Docker's {@code MkdirAndChown(merged, 0700)}
   * passes it to mkdir(2). Docker then stats it and chmods if the umask took bits; we do neither
   * (three system calls on every first mount): a umask can only take bits from {@code 0700}, which
   * changes nothing anyone sees, since root, who mounts, passes any mode, and the mount covers the
   * directory until it is removed.
   */
  private static void makeMerged(Path merged) throws IOException {
    try {
      Files.createDirectory(merged, MERGED_MODE);
    } catch (FileAlreadyExistsException e) {
      ensureDir(merged, Overlay2Layout.MERGED_MODE);
    }
  }

  /** {@link Overlay2Layout#MERGED_MODE} as the attribute of a mkdir. */
  private static final FileAttribute<Set<PosixFilePermission>> MERGED_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  /** A layer and a mode, the key of {@link #mountOptions}. */
  private record OptionsKey(String id, boolean writable) {}

  /**
   * The overlay options of one mount: {@code data} (null for a read-only base layer, which is bound
   * instead), relative to {@code home} if {@code relative}; flags for mount(2).
   */
  private record MountOptions(String data, boolean relative, long flags) {}

  /**
   * The mount options of each layer and mode mounted so far. A layer's {@code link} and {@code
   * lower} never change once it is created, so they are read once rather than on every mount (11
   * system calls of a warm mount); {@link #forgetMountOptions} drops a removed layer's, since a
   * layer made later under the same id has a new link.
   */
  private final Map<OptionsKey, MountOptions> mountOptions = new ConcurrentHashMap<>();

  private void forgetMountOptions(String id) {
    mountOptions.remove(new OptionsKey(id, false));
    mountOptions.remove(new OptionsKey(id, true));
  }

  private MountOptions mountOptions(String id, boolean writable, List<String> lowers, int pageSize)
      throws IOException {
    if (!writable && lowers.isEmpty()) {
      return new MountOptions(null, false, MountCalls.MS_RDONLY);
    }
    List<String> lowerEntries = new ArrayList<>();
    if (!writable) {
      lowerEntries.add(Overlay2Layout.lowerEntry(readLink(id)));
    }
    for (String l : lowers) {
      lowerEntries.add(Overlay2Layout.lowerEntry(l));
    }
    String prefix = indexOff ? "index=off," : "";
    String home = layout.home().toString() + "/";
    StringBuilder abs = new StringBuilder(prefix).append("lowerdir=");
    StringBuilder rel = new StringBuilder(prefix).append("lowerdir=");
    for (int i = 0; i < lowerEntries.size(); i++) {
      if (i > 0) {
        abs.append(':');
        rel.append(':');
      }
      abs.append(home).append(lowerEntries.get(i));
      rel.append(lowerEntries.get(i));
    }
    if (writable) {
      abs.append(",upperdir=").append(layout.diff(id)).append(",workdir=").append(layout.work(id));
      rel.append(",upperdir=")
          .append(Overlay2Layout.relativeDiff(id))
          .append(",workdir=")
          .append(Overlay2Layout.relativeWork(id));
    }
    long flags = writable ? 0 : MountCalls.MS_RDONLY;
    if (abs.length() < pageSize) {
      return new MountOptions(abs.toString(), false, flags);
    } else if (rel.length() < pageSize) {
      return new MountOptions(rel.toString(), true, flags);
    } else {
      throw new LayerStoreException(
          "overlay2: mount options for "
              + id
              + " exceed a page ("
              + rel.length()
              + " bytes for "
              + lowerEntries.size()
              + " layers)");
    }
  }

  private void kernelUnmount(String id) throws IOException {
    MountCalls km = mountCalls().orElseThrow();
    Path merged = layout.merged(id);
    km.unmount(merged, MountCalls.MNT_DETACH);
    try {
      Files.deleteIfExists(merged);
    } catch (IOException e) {
      LOG.debug("could not remove {}: {}", merged, e.toString());
    }
  }

  private boolean kernelMounted(String id) throws IOException {
    return mountCalls().isPresent() && mountCalls().get().isMountPoint(layout.merged(id));
  }

  // ---- facts ----------------------------------------------------------------------------------

  /**
   * Docker's overlay2 facts first, computed as dockerd computes them on this machine, then what is
   * particular to this library: whether mounts are kernel mounts and whether file metadata is
   * emulated.
   */
  @Override
  public Map<String, String> status() throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("Backing Filesystem", backingFilesystem(layout.home()));
    // d_type is what overlay needs of the backing file system; the JDK cannot read it from a
    // directory entry, and every file system an overlay2 store runs on (Docker refuses the others,
    // such as xfs made with ftype=0) has it
    m.put("Supports d_type", "true");
    m.put("Native Overlay Diff", Boolean.toString(nativeDiff()));
    m.put("Kernel Mounts", Boolean.toString(mountCalls().isPresent()));
    m.put("Emulated Metadata", Boolean.toString(!isNativePlatform()));
    return m;
  }

  /**
   * Whether dockerd would use the native diff here, as its overlay2 {@code doesSupportNativeDiff}
   * decides: not in a user namespace, and not where the kernel renames merged directories with
   * redirects ({@code CONFIG_OVERLAY_FS_REDIRECT_DIR}, shown by the overlay module's {@code
   * redirect_dir} parameter), since a diff read off the upper directory alone would then miss the
   * renamed directory's content. (dockerd probes that with a test mount; the parameter is what
   * decides the probe's outcome: without redirects the rename fails with EXDEV.) Without kernel
   * mounts the diff is always read off the layer's own directory.
   */
  private boolean nativeDiff() throws IOException {
    if (mountCalls().isEmpty()) {
      return true;
    }
    Path uidMap = Path.of("/proc/self/uid_map");
    if (Files.isReadable(uidMap)) {
      String[] map = Files.readString(uidMap).trim().split("\\s+");
      if (!(map.length == 3
          && map[0].equals("0")
          && map[1].equals("0")
          && map[2].equals("4294967295"))) {
        return false; // a user namespace
      }
    }
    Path redirect = Path.of("/sys/module/overlay/parameters/redirect_dir");
    if (Files.isReadable(redirect)) {
      String v = Files.readString(redirect).trim();
      return !(v.equals("Y") || v.equals("on") || v.equals("1"));
    }
    return true;
  }

  @Override
  public Map<String, String> metadata(String id) throws IOException {
    requireLayer(id);
    Map<String, String> m = new LinkedHashMap<>();
    List<String> lowers = new ArrayList<>();
    for (String p : parents(id)) {
      lowers.add(layout.diff(p).toString());
    }
    if (!lowers.isEmpty()) {
      m.put("LowerDir", String.join(":", lowers));
    }
    m.put("MergedDir", layout.merged(id).toString());
    m.put("UpperDir", layout.diff(id).toString());
    m.put("WorkDir", layout.work(id).toString());
    return m;
  }
}

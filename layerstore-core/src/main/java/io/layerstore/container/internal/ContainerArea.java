package io.layerstore.container.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.ChainId;
import io.layerstore.ConflictException;
import io.layerstore.DiffId;
import io.layerstore.ImageId;
import io.layerstore.LayerStoreException;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.Reference;
import io.layerstore.RemoveOptions;
import io.layerstore.archive.DiffWriter;
import io.layerstore.archive.LayerStack;
import io.layerstore.archive.RootfsWriter;
import io.layerstore.archive.TreeDiff;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.Container;
import io.layerstore.container.ContainerId;
import io.layerstore.container.Containers;
import io.layerstore.container.CreateOptions;
import io.layerstore.container.FileChange;
import io.layerstore.format.ConfigWriter;
import io.layerstore.format.ImageConfig;
import io.layerstore.platform.Tree;
import io.layerstore.spi.GraphDriver;
import io.layerstore.store.GarbageCollector;
import io.layerstore.store.ImageResolver;
import io.layerstore.store.LayerDb;
import io.layerstore.store.LayerRecord;
import io.layerstore.store.LayerStaging;
import io.layerstore.store.PinnedMount;
import io.layerstore.store.StoreContext;
import io.layerstore.store.StoreLocks;
import io.layerstore.store.Transaction;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The container area of a store: the one implementation of {@link Containers}, laid out on disk as
 * {@link ContainerLayout} describes. {@code LayerStore.open} makes it after the store's own
 * recovery, calls {@link #recover}, and keeps it privately: what the facade needs beyond the API
 * ({@link #userOf}, {@link #driverIds}) is asked of this class, never of the interface, and a
 * public method here that takes the store's internals ({@link StoreContext}) stays out of the API
 * because this package is not exported.
 *
 * <p>Mounts of a container are pinned as the facade pins an image's mounts ({@link
 * io.layerstore.store.MountPins}): an in-process union mount leaves no trace in the kernel's mount
 * table, so without the pin another process could remove a container that is being written.
 */
public final class ContainerArea implements Containers {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerArea.class);

  /** diffID of a tar holding nothing (two zero blocks): a commit that changed nothing. */
  static final DiffId EMPTY_LAYER =
      DiffId.parse("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");

  private final StoreContext s;
  private final ImageResolver images;
  private final ContainerLayout layout;

  /** Whether {@link #cleanUpOnce} ran. */
  private volatile boolean cleaned;

  /**
   * The container area of {@code store}, for {@code LayerStore.open} only, which then calls {@link
   * #recover} before anyone can use it. Users get it through {@code LayerStore.containers()}.
   *
   * @param store a store whose own recovery has run
   */
  public ContainerArea(StoreContext store) {
    this.s = Objects.requireNonNull(store, "store");
    this.images = new ImageResolver(store);
    this.layout = new ContainerLayout(store.layout().containersDir(), store.files(), store.json());
  }

  /**
   * Where our container records live, for tools and tests that look at the files themselves.
   *
   * @return the layout of {@code layerstore/containers/}
   */
  public ContainerLayout layout() {
    return layout;
  }

  // ---- create ---------------------------------------------------------------------------------

  @Override
  public Container create(String image, CreateOptions options) throws IOException {
    s.ensureOpen();
    Objects.requireNonNull(options, "options");
    GraphDriver driver = s.driver();
    try (StoreLocks.Held lock = s.locks().store()) {
      cleanUpOnce();
      ImageId imageId = images.resolve(image);
      ImageConfig config = imageConfig(imageId);
      LayerRecord top = topLayer(config);
      ContainerId id = ContainerId.random(s.files().random());
      String mountId = s.staging().newCacheId();
      String initId = options.init().enabled() ? mountId + LayerDb.INIT_SUFFIX : null;
      ObjectNode containerConfig =
          ContainerConfig.forCreate(config.json().get("config"), id, image);
      String name = reserveName(options.name(), id);
      Container c =
          new Container(
              id,
              name,
              imageId,
              image,
              Instant.now(),
              mountId,
              initId,
              options.init(),
              ContainerConfig.command(containerConfig));
      ContainerLayout.Entry entry =
          new ContainerLayout.Entry(c, ContainerLayout.State.CREATING, containerConfig);
      try {
        layout.write(entry, false);
        String below = top == null ? null : top.cacheId();
        if (initId != null) {
          driver.create(initId, below);
          InitLayerWriter.populate(upperWriter(initId), options.init());
          below = initId;
        }
        driver.create(mountId, below);
        String workingDir = ContainerConfig.workingDir(containerConfig);
        if (!workingDir.isEmpty()) {
          InitLayerWriter.workingDir(upperWriter(mountId), workingDir);
        }
        layout.write(entry.withState(ContainerLayout.State.CREATED), true);
        s.layerDb().putMount(mountRecord(c, top == null ? null : top.chainId()), false);
      } catch (IOException | RuntimeException | Error e) {
        try {
          discard(entry);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
      LOG.debug("created container {} ({}) from {}", id.shortId(), name, imageId.shortId());
      return c;
    }
  }

  /** Reserves {@code wanted} (or a generated name) for {@code id}; a name in use is a conflict. */
  private String reserveName(String wanted, ContainerId id) throws IOException {
    if (wanted == null) {
      for (int attempt = 0; ; attempt++) {
        String n = ContainerNames.candidate(s.files().random(), attempt);
        if (layout.reserveName(n, id)) {
          return n;
        }
      }
    }
    if (!layout.reserveName(wanted, id)) {
      ContainerId owner = layout.nameOwner(wanted);
      ContainerLayout.Entry e = owner == null ? null : readQuietly(owner);
      if (e != null && e.container().name().equals(wanted)) {
        throw new ConflictException(
            "Conflict. The container name \"/"
                + wanted
                + "\" is already in use by container \""
                + owner
                + "\". You have to remove (or rename) that container to be able to reuse that name.");
      }
      layout.forceName(wanted, id);
    }
    return wanted;
  }

  // ---- queries --------------------------------------------------------------------------------

  @Override
  public List<Container> list() throws IOException {
    s.ensureOpen();
    List<Container> out = new ArrayList<>();
    for (ContainerLayout.Entry e : entries()) {
      if (e.state() == ContainerLayout.State.CREATED) {
        out.add(e.container());
      }
    }
    out.sort(Comparator.comparing(Container::created).reversed());
    return out;
  }

  @Override
  public Container get(String nameOrId) throws IOException {
    s.ensureOpen();
    return entry(nameOrId).container();
  }

  private ContainerLayout.Entry entry(String nameOrId) throws IOException {
    if (nameOrId == null || nameOrId.isEmpty()) {
      throw new IllegalArgumentException("container name or id is empty");
    }
    String n = nameOrId.startsWith("/") ? nameOrId.substring(1) : nameOrId;
    if (ContainerId.isValid(n)) {
      ContainerLayout.Entry e = layout.read(new ContainerId(n));
      if (e != null && e.state() == ContainerLayout.State.CREATED) {
        return e;
      }
    }
    if (ContainerNames.isValid(n)) {
      ContainerId owner = layout.nameOwner(n);
      ContainerLayout.Entry e = owner == null ? null : readQuietly(owner);
      if (e != null
          && e.state() == ContainerLayout.State.CREATED
          && e.container().name().equals(n)) {
        return e;
      }
    }
    List<ContainerLayout.Entry> live = new ArrayList<>();
    for (ContainerLayout.Entry e : entries()) {
      if (e.state() == ContainerLayout.State.CREATED) {
        if (e.container().name().equals(n)) {
          return e;
        }
        live.add(e);
      }
    }
    if (n.matches("[0-9a-f]{1,64}")) {
      List<ContainerLayout.Entry> matches = new ArrayList<>();
      for (ContainerLayout.Entry e : live) {
        if (e.container().id().hex().startsWith(n)) {
          matches.add(e);
        }
      }
      if (matches.size() == 1) {
        return matches.get(0);
      }
      if (matches.size() > 1) {
        throw new ConflictException("multiple IDs found with provided prefix: " + n);
      }
    }
    throw new NotFoundException("No such container: " + nameOrId);
  }

  /**
   * The container that keeps {@code image} in use, as a short id, or empty: one of ours made from
   * it, or a container Docker made whose read-write layer sits on the image's top layer. {@link
   * io.layerstore.LayerStore#remove} refuses to remove an image that has one.
   *
   * @param image the image
   * @return the short (12 character) id of one such container, or empty when there is none
   * @throws NotFoundException if the image is not in the store
   * @throws IOException if the records or the image's config cannot be read
   */
  public Optional<String> userOf(ImageId image) throws IOException {
    ChainId topLayer = ChainId.top(imageConfig(image).diffIds()).orElse(null);
    Set<String> ours = new HashSet<>();
    for (ContainerLayout.Entry e : entries()) {
      ours.add(e.container().id().hex());
      if (e.container().image().equals(image) && e.state() != ContainerLayout.State.REMOVING) {
        return Optional.of(e.container().id().shortId());
      }
    }
    if (topLayer != null) {
      for (LayerDb.MountRecord m : s.layerDb().listMounts()) {
        if (!ours.contains(m.containerId()) && topLayer.equals(m.parent())) {
          return Optional.of(m.containerId().substring(0, 12));
        }
      }
    }
    return Optional.empty();
  }

  // ---- mount ----------------------------------------------------------------------------------

  @Override
  public Mount mount(String nameOrId) throws IOException {
    s.ensureOpen();
    try (StoreLocks.Held lock = s.locks().store()) {
      String mountId = get(nameOrId).mountId();
      // pinned as LayerStore.mount pins an image: an in-process union mount is in no mount table,
      // and without the pin another process would remove the container while it is written
      return PinnedMount.of(
          s.pins(), "container " + nameOrId, mountId, () -> s.driver().get(mountId, true));
    }
  }

  @Override
  public boolean isMounted(String nameOrId) throws IOException {
    s.ensureOpen();
    return isMounted(get(nameOrId));
  }

  @Override
  public boolean isMounted(Container c) throws IOException {
    s.ensureOpen();
    return layerMounted(c.mountId());
  }

  /** A kernel mount of the driver layer {@code mountId}, or a pin on it held by a live process. */
  private boolean layerMounted(String mountId) throws IOException {
    return s.driver().isMounted(mountId) || s.pins().isPinned(mountId);
  }

  @Override
  public void unmount(String nameOrId) throws IOException {
    s.ensureOpen();
    s.driver().unmountAll(get(nameOrId).mountId());
  }

  // ---- changes, export ------------------------------------------------------------------------

  @Override
  public List<FileChange> changes(String nameOrId) throws IOException {
    s.ensureOpen();
    Container c = get(nameOrId);
    List<Tree> trees = trees(c.mountId());
    List<FileChange> out = new ArrayList<>();
    for (TreeDiff.Entry e :
        new TreeDiff(trees.get(0), trees.subList(1, trees.size()), s.whiteouts()).list()) {
      out.add(
          new FileChange(
              switch (e.kind()) {
                case ADD -> FileChange.Kind.ADDED;
                case MODIFY -> FileChange.Kind.CHANGED;
                case DELETE -> FileChange.Kind.DELETED;
              },
              e.path()));
    }
    return out;
  }

  @Override
  public void export(String nameOrId, OutputStream out) throws IOException {
    s.ensureOpen();
    Container c = get(nameOrId);
    new RootfsWriter(new LayerStack(trees(c.mountId()), s.whiteouts())).write(out);
  }

  @Override
  public void export(String nameOrId, Path file) throws IOException {
    s.ensureOpen();
    Path tmp = file.resolveSibling(".tmp-" + file.getFileName() + "-" + s.files().randomHex(6));
    try (OutputStream os = Files.newOutputStream(tmp)) {
      export(nameOrId, os);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  // ---- commit ---------------------------------------------------------------------------------

  @Override
  public ImageId commit(String nameOrId, CommitOptions options) throws IOException {
    s.ensureOpen();
    Objects.requireNonNull(options, "options");
    ContainerLayout.Entry entry = entry(nameOrId);
    Container c = entry.container();
    Reference ref = null;
    if (options.reference() != null) {
      ref = Reference.parse(options.reference()).withDefaultTag();
      if (ref.digest() != null) {
        throw new IllegalArgumentException(
            "refusing to create a tag with a digest reference: " + options.reference());
      }
    }
    ImageConfig base = imageConfig(c.image());
    LayerRecord top = topLayer(base);
    ObjectNode config = ContainerConfig.applyChanges(entry.config(), options.changes());
    String createdBy =
        options.createdBy() != null
            ? options.createdBy()
            : ContainerConfig.createdBy(entry.config());
    LayerStaging.Staged staged = stageDiff(c, top);
    List<LayerStaging.Staged> pending = new ArrayList<>(List.of(staged));
    try {
      boolean empty = staged.diffId().equals(EMPTY_LAYER);
      Instant now = Instant.now();
      byte[] bytes =
          ConfigWriter.committed(
              base,
              new ConfigWriter.Commit(
                  c.id().hex(),
                  config,
                  entry.config(),
                  options.author(),
                  createdBy,
                  options.message(),
                  empty ? null : staged.diffId(),
                  now));
      ImageId id = ImageId.ofConfig(bytes);
      try (StoreLocks.Held chain =
          empty ? null : s.locks().lock(GarbageCollector.chainLock(staged.chainId()))) {
        s.transactions().settle();
        if (empty || s.layerDb().exists(staged.chainId())) {
          s.staging().discard(staged);
          pending.clear();
        }
        Transaction.Builder b = Transaction.builder("commit").image(bytes).parent(id, c.image());
        if (ref != null) {
          b.lastUpdated(id, now);
        }
        List<Map.Entry<Reference, ImageId>> tags =
            ref == null ? List.of() : List.of(Map.entry(ref, id));
        // one change: the layer, the image, its parent and its tag appear together or not at all
        s.publisher()
            .publish(
                b,
                pending,
                tags,
                () -> {
                  if (!s.imageDb().exists(c.image())
                      || (top != null && !s.layerDb().exists(top.chainId()))) {
                    throw new NotFoundException(
                        "image "
                            + c.image()
                            + " of container "
                            + c.id().shortId()
                            + " was removed during the commit");
                  }
                });
        pending.clear();
        LOG.debug("committed container {} as {}", c.id().shortId(), id.shortId());
        return id;
      }
    } catch (IOException | RuntimeException | Error e) {
      s.staging().discardAll(pending, e);
      throw e;
    }
  }

  /**
   * Stages the read-write layer as a new layer on the image's top layer: a writer thread turns the
   * layer's directory into a tar ({@link DiffWriter}), which the staging reads as it would read a
   * loaded layer, so the new layer gets its diffID, tar-split and driver directory in one pass.
   */
  private LayerStaging.Staged stageDiff(Container c, LayerRecord top) throws IOException {
    Tree rw = s.tree(c.mountId());
    LayerStaging.Parent parent =
        top == null
            ? LayerStaging.Parent.NONE
            : new LayerStaging.Parent(top.chainId(), top.cacheId());
    return s.staging()
        .stage(
            out -> new DiffWriter(rw, s.whiteouts()).write(out),
            "container " + c.id().shortId(),
            parent);
  }

  // ---- remove ---------------------------------------------------------------------------------

  @Override
  public Container remove(String nameOrId, RemoveOptions options) throws IOException {
    s.ensureOpen();
    boolean force = options.forced();
    try (StoreLocks.Held lock = s.locks().store()) {
      ContainerLayout.Entry e = entry(nameOrId);
      Container c = e.container();
      if (layerMounted(c.mountId())) {
        if (!force) {
          throw new ConflictException(
              "You cannot remove a mounted container "
                  + c.id().shortId()
                  + ". Unmount it (layerstore umount "
                  + c.name()
                  + ") before removing, or force the removal");
        }
        // forced: this process's mounts go (kernel ones, whoever made them, and our in-process
        // ones with their pins); another process's in-process mount cannot be taken from it, and
        // removing the layers under it would pull the files from under its writes
        s.driver().unmountAll(c.mountId());
        s.pins().drop(c.mountId());
        if (s.pins().isPinned(c.mountId())) {
          throw new ConflictException(
              "You cannot remove container "
                  + c.id().shortId()
                  + ": another process has it mounted. Close that mount before removing");
        }
      }
      cleanUpOnce();
      layout.write(e.withState(ContainerLayout.State.REMOVING), true);
      discard(e);
      LOG.debug("removed container {} ({})", c.id().shortId(), c.name());
      return c;
    }
  }

  /** Deletes everything of a container, record last; parts already gone are fine. */
  private void discard(ContainerLayout.Entry e) throws IOException {
    Container c = e.container();
    GraphDriver driver = s.driver();
    s.layerDb().removeMount(c.id().hex());
    if (driver.exists(c.mountId())) {
      driver.remove(c.mountId());
    }
    String initId = c.mountId() + LayerDb.INIT_SUFFIX;
    if (driver.exists(initId)) {
      driver.remove(initId);
    }
    layout.releaseName(c.name(), c.id());
    layout.delete(c.id());
  }

  /**
   * Undoes what container operations a killed process left half done (a creation or removal
   * recorded as in progress), under the store lock; {@code LayerStore.open} calls it once, after
   * the store's own recovery and before the store is handed out.
   *
   * @throws IOException if the records or the driver cannot be cleaned up
   */
  public void recover() throws IOException {
    try (StoreLocks.Held lock = s.locks().store()) {
      cleanUpOnce();
    }
  }

  /**
   * The driver ids every container record names (read-write and init layers), in any state, for
   * {@link io.layerstore.LayerStore#check} to tell container layers from orphans.
   *
   * @return a new set of driver ids
   * @throws IOException if the records cannot be listed
   */
  public Set<String> driverIds() throws IOException {
    Set<String> out = new HashSet<>();
    for (ContainerLayout.Entry e : entries()) {
      out.add(e.container().mountId());
      if (e.container().initId() != null) {
        out.add(e.container().initId());
      }
    }
    return out;
  }

  /**
   * Once per store instance, with the store lock held (so no creation or removal is running):
   * finishes what crashed creations and removals left, and rewrites what a crash may have lost of
   * live containers' derived files (their {@code layerdb/mounts} entries and name files).
   */
  private void cleanUpOnce() throws IOException {
    if (cleaned) {
      return;
    }
    for (ContainerLayout.Entry e : entries()) {
      Container c = e.container();
      if (e.state() != ContainerLayout.State.CREATED) {
        LOG.info(
            "cleaning up container {} left {} by an interrupted operation",
            c.id().shortId(),
            e.state().text);
        discard(e);
        continue;
      }
      if (!c.id().equals(layout.nameOwner(c.name()))) {
        layout.forceName(c.name(), c.id());
      }
      if (s.layerDb().getMount(c.id().hex()).isEmpty()) {
        LOG.info("rewriting the layer record of container {}", c.id().shortId());
        LayerRecord top = topLayer(imageConfig(c.image()));
        s.layerDb().putMount(mountRecord(c, top == null ? null : top.chainId()), true);
      }
    }
    for (Path tmp : layout.tempLeftovers()) {
      Files.deleteIfExists(tmp);
    }
    cleaned = true;
  }

  private static LayerDb.MountRecord mountRecord(Container c, ChainId parent) {
    return new LayerDb.MountRecord(c.id().hex(), c.mountId(), c.initId(), parent);
  }

  private ContainerLayout.Entry readQuietly(ContainerId id) {
    try {
      return layout.read(id);
    } catch (IOException e) {
      LOG.warn("skipping container {}: {}", id.shortId(), e.getMessage());
      return null;
    }
  }

  /** Every readable record; unreadable ones are logged and left out. */
  private List<ContainerLayout.Entry> entries() throws IOException {
    List<ContainerLayout.Entry> out = new ArrayList<>();
    for (ContainerId id : layout.ids()) {
      try {
        ContainerLayout.Entry e = layout.read(id);
        if (e != null) {
          out.add(e);
        }
      } catch (LayerStoreException e) {
        LOG.warn("skipping container {}: {}", id.shortId(), e.getMessage());
      }
    }
    return out;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private ImageConfig imageConfig(ImageId id) throws IOException {
    return s.imageDb().config(id, s.json());
  }

  private LayerRecord topLayer(ImageConfig config) throws IOException {
    return s.layerDb().top(config.diffIds()).orElse(null);
  }

  /** The trees of {@code id} and everything below it, topmost first. */
  private List<Tree> trees(String id) throws IOException {
    GraphDriver driver = s.driver();
    List<Tree> trees = new ArrayList<>();
    trees.add(s.tree(id));
    for (String p : driver.parents(id)) {
      trees.add(s.tree(p));
    }
    return trees;
  }

  /** Writes into {@code id}'s own directory as a mount of it over its parents would. */
  private UpperDirWriter upperWriter(String id) throws IOException {
    List<Tree> trees = trees(id);
    return new UpperDirWriter(trees.get(0), trees.subList(1, trees.size()), s.whiteouts());
  }
}

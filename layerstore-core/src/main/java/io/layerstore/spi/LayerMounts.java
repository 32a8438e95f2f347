package io.layerstore.spi;

import io.layerstore.ConflictException;
import io.layerstore.LayerStoreException;
import io.layerstore.Mount;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The mount handles a graph driver gives out, counted per layer id, for the three ways a driver can
 * provide a layer's root: a kernel mount (its count shared with other processes through {@link
 * MountReferences}, so it can outlive this one), an in-process union view, or the layer's own
 * directory (a writable base layer, which needs no mount).
 *
 * <p>What every driver must do with them, and what this class does once for all:
 *
 * <ul>
 *   <li>a second get of an id returns the same root; only the last close unmounts;
 *   <li>closing a handle twice gives back one reference, not two;
 *   <li>a layer mounted read-only cannot be mounted writable at the same time, nor the other way
 *       round ({@link ConflictException}) — checked against this process's handles, and against a
 *       kernel mount made by another process;
 *   <li>{@link #unmountAll} and {@link #close} leave every outstanding handle inert, so a handle
 *       closed later never gives back a reference somebody took since.
 * </ul>
 */
final class LayerMounts {

  /** Opens the in-process union of a layer with its ancestors. */
  interface UnionOpener {
    FileSystem open() throws IOException;
  }

  private enum Kind {
    KERNEL,
    UNION,
    DIRECT
  }

  /** This process's handles on one id. */
  private static final class Local {
    final Kind kind;
    final boolean writable;
    final Path root;
    final FileSystem union;
    final Set<Handle> handles = new LinkedHashSet<>();

    Local(Kind kind, boolean writable, Path root, FileSystem union) {
      this.kind = kind;
      this.writable = writable;
      this.root = root;
      this.union = union;
    }
  }

  private final String driver;
  private final KernelMounter kernel;
  private final Function<String, Path> mountPoint;
  private final MountReferences kernelRefs;

  /** The references left on copies; null where there are no copies. */
  private final MountReferences copyRefs;

  /** Guarded by {@code this}. */
  private final Map<String, Local> local = new HashMap<>();

  /** Read-only in-process mounts left behind as copies; null where there are none. */
  private final MountCopies copies;

  /**
   * @param driver the driver's name, for messages
   * @param refsDir where kernel mount counts are kept (shared by every process using the store)
   * @param kernel the driver's kernel mounting, or {@code null} where it makes no kernel mounts
   * @param mountPoint where the kernel mount of an id is
   * @param copies where a read-only in-process mount that must outlive the process goes ({@link
   *     Mount#leaveMounted}), or {@code null} to refuse that
   */
  LayerMounts(
      String driver,
      Path refsDir,
      KernelMounter kernel,
      Function<String, Path> mountPoint,
      MountCopies copies)
      throws IOException {
    this.driver = driver;
    this.kernel = kernel;
    this.mountPoint = mountPoint;
    this.kernelRefs = kernel == null ? null : new MountReferences(refsDir, kernel::isMounted, true);
    this.copies = copies;
    this.copyRefs =
        copies == null
            ? null
            : new MountReferences(copies.stateDir(), id -> copies.exists(id), false);
  }

  /** A reference on {@code id}'s kernel mount, mounting it if this is the first anywhere. */
  Mount kernel(String id, boolean writable) throws IOException {
    if (kernel == null) {
      throw new IllegalStateException(driver + ": no kernel mounts here");
    }
    synchronized (this) {
      checkMode(id, writable);
    }
    int count = kernelRefs.acquire(id, () -> kernel.mount(id, writable));
    Handle h;
    try {
      synchronized (this) {
        checkMode(id, writable);
        h = register(id, Kind.KERNEL, writable, mountPoint.apply(id), null);
      }
    } catch (IOException | RuntimeException e) {
      kernelRefs.release(id, () -> kernel.unmount(id));
      throw e;
    }
    if (count > 1 && kernel.isWritable(id) != writable) {
      h.close();
      throw conflict(id, !writable);
    }
    return h;
  }

  /**
   * A reference on {@code id}'s in-process union, opened by {@code opener} if this is the first.
   */
  synchronized Mount union(String id, boolean writable, UnionOpener opener) throws IOException {
    checkMode(id, writable);
    Local l = local.get(id);
    if (l != null) {
      return register(id, Kind.UNION, writable, l.root, l.union);
    }
    FileSystem fs = opener.open();
    return register(id, Kind.UNION, writable, fs.getPath("/"), fs);
  }

  /**
   * A reference on {@code id}'s own directory, used as its root without mounting anything (a
   * writable base layer, as Docker does). Refused while another process has a kernel mount of it.
   */
  Mount direct(String id, Path root, boolean writable) throws IOException {
    if (kernel != null && kernel.isMounted(id)) {
      throw new ConflictException(
          driver
              + ": layer "
              + id
              + " is mounted at "
              + mountPoint.apply(id)
              + " by another holder; it cannot be used "
              + (writable ? "read-write" : "read-only")
              + " at the same time");
    }
    synchronized (this) {
      checkMode(id, writable);
      return register(id, Kind.DIRECT, writable, root, null);
    }
  }

  /**
   * Whether {@code id} is mounted now: a handle of this process, a kernel mount of anyone's, or a
   * copy left behind by anyone.
   */
  boolean isMounted(String id) throws IOException {
    synchronized (this) {
      if (local.containsKey(id)) {
        return true;
      }
    }
    return (kernel != null && kernel.isMounted(id)) || (copies != null && copies.exists(id));
  }

  /** Whether this process's handles on {@code id} are writable; empty if it holds none. */
  synchronized Optional<Boolean> localWritable(String id) {
    Local l = local.get(id);
    return l == null ? Optional.empty() : Optional.of(l.writable);
  }

  /** Drops every reference on {@code id}, taken by any process, and unmounts it. */
  void unmountAll(String id) throws IOException {
    Local l;
    synchronized (this) {
      l = local.remove(id);
      if (l != null) {
        for (Handle h : l.handles) {
          h.inert = true;
        }
      }
    }
    if (l != null && l.union != null) {
      l.union.close();
    }
    if (kernel != null) {
      kernelRefs.releaseAll(id, () -> kernel.unmount(id));
    }
    if (copies != null) {
      copyRefs.releaseAll(id, () -> copies.remove(id));
    }
  }

  /**
   * Gives back one reference on {@code id} left behind with {@link Mount#leaveMounted}, unmounting
   * (or removing the copy) when it was the last reference of all.
   *
   * @return whether a reference was left behind to give back
   */
  boolean unmountLeft(String id) throws IOException {
    if (kernel != null && kernelRefs.releaseLeft(id, () -> kernel.unmount(id)).isPresent()) {
      return true;
    }
    return copies != null && copyRefs.releaseLeft(id, () -> copies.remove(id)).isPresent();
  }

  /**
   * The kernel mounts that no live process holds and nobody left behind: their holders were killed
   * before they gave them back. With {@code reclaim} they are unmounted.
   */
  List<String> abandoned(boolean reclaim) throws IOException {
    if (kernel == null) {
      return List.of(); // an in-process mount ends with its process
    }
    return kernelRefs.reclaim(reclaim, kernel::unmount);
  }

  /** Gives back every reference this process holds; handles still out become inert. */
  void close() throws IOException {
    List<Handle> all = new ArrayList<>();
    synchronized (this) {
      for (Local l : local.values()) {
        all.addAll(l.handles);
      }
    }
    IOException failure = null;
    for (Handle h : all) {
      try {
        h.close();
      } catch (IOException e) {
        failure = collect(failure, e);
      }
    }
    if (kernelRefs != null) {
      kernelRefs.close();
    }
    if (copyRefs != null) {
      copyRefs.close();
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** {@code e} added to the failures so far: the first one, with the later ones suppressed. */
  static IOException collect(IOException failure, IOException e) {
    if (failure == null) {
      return e;
    }
    failure.addSuppressed(e);
    return failure;
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Caller holds {@code this}. */
  private void checkMode(String id, boolean writable) throws ConflictException {
    Local l = local.get(id);
    if (l != null && l.writable != writable) {
      throw conflict(id, l.writable);
    }
  }

  private ConflictException conflict(String id, boolean mountedWritable) {
    return new ConflictException(
        driver
            + ": layer "
            + id
            + " is mounted "
            + (mountedWritable ? "read-write" : "read-only")
            + "; it cannot also be mounted "
            + (mountedWritable ? "read-only" : "read-write")
            + " until that mount is given back");
  }

  /** Caller holds {@code this}. */
  private Handle register(String id, Kind kind, boolean writable, Path root, FileSystem union) {
    Local l = local.computeIfAbsent(id, k -> new Local(kind, writable, root, union));
    Handle h = new Handle(id, l);
    l.handles.add(h);
    return h;
  }

  /**
   * Takes {@code h} out of its id's handles: -1 if it was no longer live, 1 if it was the id's last
   * handle in this process, else 0.
   */
  private synchronized int unregister(Handle h) {
    if (h.inert) {
      return -1;
    }
    h.inert = true;
    Local l = h.local;
    l.handles.remove(h);
    if (l.handles.isEmpty() && local.get(h.id) == l) {
      local.remove(h.id);
      return 1;
    }
    return 0;
  }

  private final class Handle implements Mount {
    final String id;
    final Local local;

    /** Set once this handle's reference is given back, handed over or dropped by the driver. */
    boolean inert;

    /** Where the mount was left behind as a copy, once it was. */
    volatile Path copy;

    Handle(String id, Local local) {
      this.id = id;
      this.local = local;
    }

    @Override
    public Path root() {
      Path c = copy;
      return c != null ? c : local.root;
    }

    @Override
    public boolean isKernelMount() {
      return local.kind == Kind.KERNEL;
    }

    @Override
    public boolean isWritable() {
      return local.writable;
    }

    @Override
    public void leaveMounted() throws IOException {
      if (local.kind == Kind.UNION) {
        if (copies == null || local.writable) {
          throw new LayerStoreException(
              driver
                  + ": an in-process mount cannot outlive this process; only a kernel "
                  + "mount can (that needs Linux, root, and the kernel's support for the driver's file system)"
                  + (copies == null ? "" : ", or a read-only one, which is left behind as a copy"));
        }
        Path at = copies.make(id);
        copyRefs.addLeft(id);
        close();
        copy = at;
        return;
      }
      // A kernel reference now belongs to the store (a later unmount gives it back); a layer's
      // own directory needs nothing kept.
      if (unregister(this) >= 0 && local.kind == Kind.KERNEL) {
        kernelRefs.handOver(id);
      }
    }

    @Override
    public void close() throws IOException {
      int state = unregister(this);
      if (state < 0) {
        return;
      }
      if (local.kind == Kind.KERNEL) {
        kernelRefs.release(id, () -> kernel.unmount(id));
      } else if (local.kind == Kind.UNION && state == 1) {
        local.union.close();
      }
    }

    @Override
    public String toString() {
      return driver + " mount of " + id + " at " + local.root;
    }
  }
}

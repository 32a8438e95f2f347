package io.layerstore.store;

import io.layerstore.Mount;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A mount that, while open, tells every process using the store that its layers are in use ({@link
 * MountPins}); an in-process union view leaves no other trace another process could see. Images
 * ({@code LayerStore.mount}) and containers (the container area) are mounted through it alike, so
 * that no process removes a layer or a container another one is reading or writing.
 */
public final class PinnedMount implements Mount {
  private final Mount mount;
  private final StoreLocks.Held pin;
  private final MountPins pins;
  private final String what;

  private PinnedMount(Mount mount, StoreLocks.Held pin, MountPins pins, String what) {
    this.mount = mount;
    this.pin = pin;
    this.pins = pins;
    this.what = what;
  }

  /** Makes the driver's mount of a layer; {@link #of} pins the layer around it. */
  @FunctionalInterface
  public interface Mounter {
    /**
     * Mounts the layer.
     *
     * @return the driver's mount
     * @throws IOException if the driver cannot mount it
     */
    Mount mount() throws IOException;
  }

  /**
   * Pins the driver layer {@code id}, then mounts it; the pin is released when the mount is closed
   * or left mounted, or at once if the mount fails. Call it with the store lock held, so that a
   * concurrent removal either sees the pin or has removed what is mounted first.
   *
   * @param pins the store's pins, which also list the mounts open in this process
   * @param what what is mounted, for messages ({@code image sha256:…}, {@code container …})
   * @param id the driver id of the layer mounted (an image's top layer, a container's read-write
   *     layer)
   * @param mounter what mounts it
   * @return the pinned mount
   * @throws IOException if the pin cannot be taken or the driver cannot mount
   */
  public static Mount of(MountPins pins, String what, String id, Mounter mounter)
      throws IOException {
    StoreLocks.Held pin = pins.pin(id);
    try {
      PinnedMount m = new PinnedMount(mounter.mount(), pin, pins, what);
      pins.opened(m);
      return m;
    } catch (IOException | RuntimeException | Error e) {
      pin.close();
      throw e;
    }
  }

  @Override
  public Path root() {
    return mount.root();
  }

  @Override
  public boolean isKernelMount() {
    return mount.isKernelMount();
  }

  @Override
  public boolean isWritable() {
    return mount.isWritable();
  }

  @Override
  public void leaveMounted() throws IOException {
    mount.leaveMounted();
    pins.closed(this); // no longer this process's to close: the store's count holds it now
    pin.close(); // a kernel mount left behind is seen in the mount table from now on
  }

  @Override
  public void close() throws IOException {
    pins.closed(this);
    try {
      mount.close();
    } finally {
      pin.close();
    }
  }

  /** What is mounted and where, as the warning of a store closed under open mounts names it. */
  @Override
  public String toString() {
    return what + " at " + mount.root();
  }
}

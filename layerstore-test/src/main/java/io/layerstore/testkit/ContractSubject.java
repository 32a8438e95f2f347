package io.layerstore.testkit;

/**
 * What a contract run is about: the driver under test, where the run keeps its data-root, and what
 * a mount gives there. Both contract kits ({@link GraphDriverContract}, {@link LayerStoreContract})
 * extend it, so a driver module says these three things the same way to each.
 */
public abstract class ContractSubject {

  private final String driverName;
  private final Backing backing;
  private final MountKind mountKind;

  /**
   * The run's subject.
   *
   * @param driverName the driver's registered name
   * @param backing where this run keeps its data-root
   * @param mountKind what a mount of a layer with ancestors (or of an image) gives on this backing;
   *     {@link MountKind#KERNEL} makes the run need kernel mounts: skipped where there are none,
   *     failing under {@code -Dlayerstore.requirePlatform=true}
   */
  protected ContractSubject(String driverName, Backing backing, MountKind mountKind) {
    this.driverName = driverName;
    this.backing = backing;
    this.mountKind = mountKind;
  }

  /**
   * The driver's registered name.
   *
   * @return the name the constructor was given
   */
  protected final String driverName() {
    return driverName;
  }

  /**
   * Where this run keeps its data-root.
   *
   * @return the backing the constructor was given
   */
  protected final Backing backing() {
    return backing;
  }

  /**
   * What a mount of a layer with ancestors (or of an image) gives on this backing.
   *
   * @return the mount kind the constructor was given
   */
  protected final MountKind mountKind() {
    return mountKind;
  }
}

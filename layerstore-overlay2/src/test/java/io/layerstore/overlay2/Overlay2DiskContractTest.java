package io.layerstore.overlay2;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.GraphDriverContract;
import io.layerstore.testkit.MountKind;

/** The driver contract kit for overlay2 on a temporary directory with the kernel's overlay mounts (CI requires them). */
class Overlay2DiskContractTest extends GraphDriverContract {

  @Override
  protected String driverName() {
    return "overlay2";
  }

  @Override
  protected Backing backing() {
    return Backing.DISK;
  }

  @Override
  protected MountKind mountKind() {
    return MountKind.KERNEL;
  }

  @Override
  protected int maxParents() {
    return Overlay2Layout.MAX_DEPTH;
  }
}

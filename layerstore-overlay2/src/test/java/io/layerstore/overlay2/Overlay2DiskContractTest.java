package io.layerstore.overlay2;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.GraphDriverContract;
import io.layerstore.testkit.MountKind;

/**
 * The driver contract kit for overlay2 on a temporary directory with the kernel's overlay mounts
 * (CI requires them).
 */
class Overlay2DiskContractTest extends GraphDriverContract {

  Overlay2DiskContractTest() {
    super("overlay2", Backing.DISK, MountKind.KERNEL, Overlay2Layout.MAX_DEPTH);
  }
}

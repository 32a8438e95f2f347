package io.layerstore.overlay2;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.LayerStoreContract;
import io.layerstore.testkit.MountKind;

/**
 * The store-level contract for overlay2 on a temporary directory with the kernel's overlay mounts
 * (CI requires them).
 */
class Overlay2DiskStoreContractTest extends LayerStoreContract {

  Overlay2DiskStoreContractTest() {
    super("overlay2", Backing.DISK, MountKind.KERNEL);
  }
}

package io.layerstore.aufs;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.LayerStoreContract;
import io.layerstore.testkit.MountKind;

/**
 * The store-level contract for aufs on a temporary directory: kernel aufs mounts where the kernel
 * has aufs, else (this kernel) the in-process union over native trees.
 */
class AufsDiskStoreContractTest extends LayerStoreContract {

  AufsDiskStoreContractTest() {
    super("aufs", Backing.DISK, KernelAufs.listed() ? MountKind.KERNEL : MountKind.IN_PROCESS);
  }
}

package io.layerstore.aufs;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.GraphDriverContract;
import io.layerstore.testkit.MountKind;

/**
 * The driver contract kit for aufs on a temporary directory: kernel aufs mounts where the kernel
 * has aufs, else (this kernel) the in-process union over native trees.
 */
class AufsDiskContractTest extends GraphDriverContract {

  AufsDiskContractTest() {
    super(
        "aufs",
        Backing.DISK,
        KernelAufs.listed() ? MountKind.KERNEL : MountKind.IN_PROCESS,
        AufsLayout.MAX_PARENTS);
  }

  @Override
  protected boolean leavesCopies() {
    return !KernelAufs.listed() && sandbox.platform().isNative();
  }
}

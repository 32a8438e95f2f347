package io.layerstore.aufs;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.GraphDriverContract;
import io.layerstore.testkit.MountKind;

/** The driver contract kit for aufs on jimfs with the in-process union. */
class AufsJimfsContractTest extends GraphDriverContract {

  AufsJimfsContractTest() {
    super("aufs", Backing.JIMFS, MountKind.IN_PROCESS, AufsLayout.MAX_PARENTS);
  }
}

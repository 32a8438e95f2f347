package io.layerstore.aufs;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.LayerStoreContract;
import io.layerstore.testkit.MountKind;

/** The store-level contract for aufs on jimfs with the in-process union. */
class AufsJimfsStoreContractTest extends LayerStoreContract {

  AufsJimfsStoreContractTest() {
    super("aufs", Backing.JIMFS, MountKind.IN_PROCESS);
  }
}

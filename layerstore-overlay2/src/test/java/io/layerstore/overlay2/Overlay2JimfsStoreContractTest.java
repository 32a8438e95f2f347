package io.layerstore.overlay2;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.LayerStoreContract;
import io.layerstore.testkit.MountKind;

/** The store-level contract for overlay2 on jimfs with the in-process union. */
class Overlay2JimfsStoreContractTest extends LayerStoreContract {

  Overlay2JimfsStoreContractTest() {
    super("overlay2", Backing.JIMFS, MountKind.IN_PROCESS);
  }
}

package io.layerstore.overlay2;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.LayerStoreContract;
import io.layerstore.testkit.MountKind;

/** The store-level contract for overlay2 on jimfs with the in-process union. */
class Overlay2JimfsStoreContractTest extends LayerStoreContract {

  @Override
  protected String driverName() {
    return "overlay2";
  }

  @Override
  protected Backing backing() {
    return Backing.JIMFS;
  }

  @Override
  protected MountKind mountKind() {
    return MountKind.IN_PROCESS;
  }
}

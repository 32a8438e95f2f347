package io.layerstore.aufs;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.LayerStoreContract;
import io.layerstore.testkit.MountKind;

/** The store-level contract for aufs on jimfs with the in-process union. */
class AufsJimfsStoreContractTest extends LayerStoreContract {

  @Override
  protected String driverName() {
    return "aufs";
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

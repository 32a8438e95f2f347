package io.layerstore.aufs;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.GraphDriverContract;
import io.layerstore.testkit.MountKind;

/** The driver contract kit for aufs on jimfs with the in-process union. */
class AufsJimfsContractTest extends GraphDriverContract {

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

  @Override
  protected int maxParents() {
    return AufsLayout.MAX_PARENTS;
  }
}

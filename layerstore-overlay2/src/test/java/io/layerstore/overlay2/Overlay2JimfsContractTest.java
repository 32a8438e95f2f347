package io.layerstore.overlay2;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.GraphDriverContract;
import io.layerstore.testkit.MountKind;

/** The driver contract kit for overlay2 on jimfs with the in-process union. */
class Overlay2JimfsContractTest extends GraphDriverContract {

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

  @Override
  protected int maxParents() {
    return Overlay2Layout.MAX_DEPTH;
  }
}

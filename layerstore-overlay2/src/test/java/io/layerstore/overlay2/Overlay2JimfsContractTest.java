package io.layerstore.overlay2;

import io.layerstore.testkit.Backing;
import io.layerstore.testkit.GraphDriverContract;
import io.layerstore.testkit.MountKind;

/** The driver contract kit for overlay2 on jimfs with the in-process union. */
class Overlay2JimfsContractTest extends GraphDriverContract {

  Overlay2JimfsContractTest() {
    super("overlay2", Backing.JIMFS, MountKind.IN_PROCESS, Overlay2Layout.MAX_DEPTH);
  }
}

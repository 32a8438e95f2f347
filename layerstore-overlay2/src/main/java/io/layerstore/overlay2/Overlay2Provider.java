package io.layerstore.overlay2;

import io.layerstore.spi.NamedDriverProvider;

/** ServiceLoader entry for the overlay2 driver. */
public final class Overlay2Provider extends NamedDriverProvider {

  /**
   * The provider of the driver called {@code overlay2}; {@link java.util.ServiceLoader} calls it,
   * code rarely needs to.
   */
  public Overlay2Provider() {
    super(Overlay2Layout.NAME, Overlay2Driver::new);
  }
}

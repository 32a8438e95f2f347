package io.layerstore.overlay2;

import io.layerstore.spi.DriverContext;
import io.layerstore.spi.DriverProvider;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;

/** ServiceLoader entry for the overlay2 driver. */
public final class Overlay2Provider implements DriverProvider {

  @Override
  public String name() {
    return Overlay2Layout.NAME;
  }

  @Override
  public GraphDriver open(DriverContext context) throws IOException {
    return new Overlay2Driver(context);
  }
}

package io.layerstore.spi;

import java.io.IOException;

/**
 * Entry point of a driver module, found with {@link java.util.ServiceLoader}. Core never names a
 * driver class; it asks every provider for its {@link #name()} and opens the one requested.
 */
public interface DriverProvider {

  /** The driver name ({@code overlay2}, {@code aufs}). */
  String name();

  /** Opens the driver for the data-root in {@code context}, creating its home if needed. */
  GraphDriver open(DriverContext context) throws IOException;
}

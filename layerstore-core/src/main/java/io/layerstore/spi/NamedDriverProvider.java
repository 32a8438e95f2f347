package io.layerstore.spi;

import java.io.IOException;

/**
 * A provider that is a name and a way to open the driver, which is all most driver modules need:
 * {@code super("overlay2", Overlay2Driver::new)}. ServiceLoader needs the subclass public with a
 * public no-argument constructor.
 */
public abstract class NamedDriverProvider implements DriverProvider {

  /** Opens a driver on a context (usually the driver's constructor). */
  @FunctionalInterface
  public interface Opener {
    /**
     * Opens the driver.
     *
     * @param context what the driver is opened with
     * @return the open driver
     * @throws IOException if the driver cannot work there
     */
    GraphDriver open(DriverContext context) throws IOException;
  }

  private final String name;
  private final Opener opener;

  /**
   * A provider of the driver {@code name}.
   *
   * @param name the driver's name
   * @param opener opens the driver (usually its constructor)
   */
  protected NamedDriverProvider(String name, Opener opener) {
    this.name = name;
    this.opener = opener;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final GraphDriver open(DriverContext context) throws IOException {
    return opener.open(context);
  }
}

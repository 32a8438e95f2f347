package io.layerstore.spi;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Entry point of a driver module, found with {@link java.util.ServiceLoader}. Core never names a
 * driver class; it asks every provider for its {@link #name()} and opens the one requested.
 */
public interface DriverProvider {

  /**
   * The driver name.
   *
   * @return the name ({@code overlay2}, {@code aufs})
   */
  String name();

  /**
   * Opens the driver for the data-root in {@code context}, creating its home if needed.
   *
   * @param context the data-root, state directory, platform and options
   * @return the open driver; the store closes it
   * @throws IOException if the driver cannot work there
   */
  GraphDriver open(DriverContext context) throws IOException;

  /**
   * Whether the driver home {@code home} (which may not exist) holds layers, so that a store there
   * belongs to this driver. The default counts any entry but hidden ones and {@code l}; a driver
   * whose empty home already has fixed subdirectories says better.
   *
   * @param home the driver's home under a data-root
   * @return whether it holds layers
   * @throws IOException if it cannot be read
   */
  default boolean hasLayers(Path home) throws IOException {
    if (!Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(home)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (!n.equals("l") && !n.startsWith(".")) {
          return true;
        }
      }
    }
    return false;
  }
}

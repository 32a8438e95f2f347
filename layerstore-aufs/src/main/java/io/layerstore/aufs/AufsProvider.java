package io.layerstore.aufs;

import io.layerstore.spi.NamedDriverProvider;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** ServiceLoader entry for the aufs driver. */
public final class AufsProvider extends NamedDriverProvider {

  /**
   * The provider of the driver called {@code aufs}; {@link java.util.ServiceLoader} calls it, code
   * rarely needs to.
   */
  public AufsProvider() {
    super(AufsLayout.NAME, AufsDriver::new);
  }

  /**
   * An aufs home always has {@code diff/}, {@code mnt/} and {@code layers/}; layers are files in
   * {@code layers/}.
   */
  @Override
  public boolean hasLayers(Path home) throws IOException {
    Path layers = new AufsLayout(home).layersDir();
    if (!Files.isDirectory(layers, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(layers)) {
      for (Path p : ds) {
        if (AufsLayout.isValidId(p.getFileName().toString())) {
          return true;
        }
      }
    }
    return false;
  }
}

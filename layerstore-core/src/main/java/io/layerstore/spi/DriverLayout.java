package io.layerstore.spi;

import java.nio.file.Path;

/**
 * Where a driver keeps a layer's files, as far as {@link DriverSupport} needs to know: the rest of
 * a driver's layout (link dirs, parent lists, work dirs) is its own business.
 */
public interface DriverLayout {

  /**
   * Whether {@code id} can name a layer here (a safe directory or file name the layout does not
   * reserve).
   *
   * @param id a would-be layer id
   * @return whether it can name a layer
   */
  boolean isLayerId(String id);

  /**
   * The directory whose entries are the layers: {@code id} is a layer exactly when {@code
   * layerIndex()/<id>} exists, of the right kind (overlay2: {@code <home>/<id>/}; aufs: the {@code
   * layers/<id>} file).
   *
   * @return the directory of layer entries
   */
  Path layerIndex();

  /**
   * Whether the entries of the {@link #layerIndex} are directories (else regular files).
   *
   * @return {@code true} for directories
   */
  boolean indexesDirectories();

  /**
   * The directory holding {@code id}'s own files.
   *
   * @param id the layer
   * @return its diff directory
   */
  Path diff(String id);

  /**
   * Where an emulated platform keeps what the file system cannot hold for {@code id}'s diff;
   * outside the diff directory.
   *
   * @param id the layer
   * @return the record file's path
   */
  Path emulatedAttrs(String id);

  /**
   * Where {@code id} is mounted with the kernel, or left behind as a copy.
   *
   * @param id the layer
   * @return its mount point
   */
  Path mountPoint(String id);

  /**
   * Whether {@code id} is a plain name, safe as a file name in any layout: a letter or digit, then
   * at most 127 letters, digits, {@code _}, {@code .} and {@code -} (so never {@code .}, {@code ..}
   * or a path). Docker's ids are 64 hex digits, its init layers {@code <id>-init}.
   *
   * @param id a would-be id, may be null
   * @return whether it is a plain id
   */
  static boolean isPlainId(String id) {
    if (id == null || id.isEmpty() || id.length() > 128) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) {
        return false;
      }
    }
    return true;
  }
}

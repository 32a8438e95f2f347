package io.layerstore.spi;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A layer's own directory as core reads and writes it: the directory holding the layer's files, and
 * the file where an emulated platform keeps what that directory's file system cannot hold (device
 * nodes, ownership, special mode bits, extended attributes). A driver says where both are ({@link
 * GraphDriver#diff}); core does the rest.
 *
 * @param dir the directory holding the layer's own files (Docker's {@code diff/})
 * @param emulatedAttrs the record file of an emulated platform for {@code dir}; it must lie outside
 *     {@code dir}, and a native platform ignores it
 */
public record LayerDir(Path dir, Path emulatedAttrs) {
  /**
   * Checks that both paths are given.
   *
   * @param dir the directory holding the layer's own files
   * @param emulatedAttrs the record file of an emulated platform for {@code dir}
   */
  public LayerDir {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(emulatedAttrs, "emulatedAttrs");
  }
}

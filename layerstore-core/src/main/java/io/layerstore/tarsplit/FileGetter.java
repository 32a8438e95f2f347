package io.layerstore.tarsplit;

import io.layerstore.InvalidArchiveException;
import io.layerstore.UnsafePathException;
import io.layerstore.gocompat.TarPaths;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where reassembly finds file contents: opens a member by the name tar-split recorded for it.
 * Docker reads them from the layer's mounted (or diff) directory; tests may use any source.
 */
@FunctionalInterface
public interface FileGetter {

  /**
   * Opens the content of the member recorded as {@code name}.
   *
   * @param name the name as stored in tar-split, e.g. {@code ./etc/os-release} or {@code opt/app/x}
   */
  InputStream open(String name) throws IOException;

  /**
   * Contents under {@code root}, on any file system. The name is cleaned the Go way and must stay
   * inside {@code root}; a symlink as the last element is refused, since a layer file recorded with
   * content is a regular file.
   */
  static FileGetter directory(Path root) {
    return name -> {
      String clean = TarPaths.clean(name);
      if (clean.startsWith("/")) {
        clean = TarPaths.clean(clean.substring(1));
      }
      if (clean.equals("..") || clean.startsWith("../")) {
        throw new UnsafePathException(root.toString(), name, "name leaves the layer directory");
      }
      Path p = root;
      if (!clean.equals(".")) {
        for (String part : clean.split("/")) {
          p = p.resolve(part);
        }
      }
      // Opening a fifo would block until some writer comes, and a device would read without
      // end: only a regular file (never followed through a symlink) is opened.
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new InvalidArchiveException(
            root.toString(),
            name,
            Files.exists(p, LinkOption.NOFOLLOW_LINKS)
                ? "tar-split records content for a node that is not a regular file"
                : "file missing from the layer directory");
      }
      return Files.newInputStream(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    };
  }
}

package io.layerstore.store;

import io.layerstore.InvalidArchiveException;
import io.layerstore.LoadedImage;
import io.layerstore.format.ArchiveIndex;
import io.layerstore.format.OciLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code load}: tells which form it was given and hands it to its loader. A directory is an OCI
 * image layout; a tar holding {@code oci-layout} is one too (Docker 25+ archives hold both that and
 * a {@code manifest.json}; the layout is the richer description, with media types, platforms and
 * the manifest bytes to keep); any other tar is a {@code docker save} archive.
 */
public final class ImageLoader {

  private final StoreContext store;
  private final OciLayoutLoader.Selection selection;

  public ImageLoader(StoreContext store, OciLayoutLoader.Selection selection) {
    this.store = store;
    this.selection = selection;
  }

  /** Loads the images of {@code input}, as {@link #selection} picks them from an index. */
  public List<LoadedImage> load(Path input) throws IOException {
    if (Files.isDirectory(input)) {
      if (!Files.exists(input.resolve(OciLayout.LAYOUT_FILE))) {
        throw new InvalidArchiveException(
            input.toString(),
            null,
            "a directory is read as an OCI image layout, but it has no " + OciLayout.LAYOUT_FILE);
      }
      return new OciLayoutLoader(store, selection)
          .load(OciLayout.openDirectory(input, store.json()));
    }
    try (ArchiveIndex index = ArchiveIndex.open(input)) {
      if (OciLayout.isLayout(index)) {
        return new OciLayoutLoader(store, selection).load(OciLayout.openTar(index, store.json()));
      }
      return new DockerArchiveLoader(store).load(index);
    }
  }
}

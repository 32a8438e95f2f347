package io.layerstore.store;

import io.layerstore.InvalidArchiveException;
import io.layerstore.LoadedImage;
import io.layerstore.archive.Compression;
import io.layerstore.format.ArchiveIndex;
import io.layerstore.format.OciLayout;
import java.io.IOException;
import java.io.InputStream;
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

  /**
   * Loads the images of {@code input}, as {@link #selection} picks them from an index. A compressed
   * archive (gzip, zstd, bzip2: {@code docker save | gzip}, which {@code docker load} takes) is
   * first decompressed into a scratch file, since an archive is read with seeks.
   */
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
    if (Files.isRegularFile(input) && compression(input) != Compression.NONE) {
      try (InputStream in = Files.newInputStream(input)) {
        return load(in, input.toString());
      }
    }
    return loadTar(input, input.toString());
  }

  /**
   * Loads the archive {@code in} holds (to its end), plain or compressed, as {@code docker load}
   * reads stdin: copied, decompressed, into a scratch file of the store, loaded from there, and
   * deleted. Errors name {@code source}.
   */
  public List<LoadedImage> load(InputStream in, String source) throws IOException {
    try (Scratch copy = Scratch.copyOf(Compression.decompress(in, source), ".tar", store)) {
      return loadTar(copy.path(), source);
    }
  }

  private List<LoadedImage> loadTar(Path tar, String source) throws IOException {
    try (ArchiveIndex index = ArchiveIndex.open(tar, source)) {
      if (OciLayout.isLayout(index)) {
        return new OciLayoutLoader(store, selection).load(OciLayout.openTar(index, store.json()));
      }
      return new DockerArchiveLoader(store).load(index);
    }
  }

  /** The compression the file's first bytes announce. */
  private static Compression compression(Path file) throws IOException {
    byte[] head = new byte[8];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    return Compression.detect(head, n);
  }
}

package io.layerstore.store;

import io.layerstore.Digest;
import io.layerstore.DigestMismatchException;
import io.layerstore.InvalidArchiveException;
import io.layerstore.spi.GraphDriver;
import io.layerstore.tarsplit.TarSplitAssembler;
import io.layerstore.tarsplit.TarSplitReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Rebuilds a stored layer's tar byte for byte: its tar-split record replayed with file contents
 * from the layer's diff directory, checked against the diffID. Every writer of an archive (docker
 * save, OCI layout) and {@code fsck --deep} go through here, so a layer leaves the store one way.
 */
final class LayerRebuilder {

  private final LayerDb layerDb;
  private final GraphDriver driver;

  LayerRebuilder(LayerDb layerDb, GraphDriver driver) {
    this.layerDb = layerDb;
    this.driver = driver;
  }

  /** The reassembled size of a layer, from its tar-split record alone. */
  long size(LayerRecord layer) throws IOException {
    try (TarSplitReader ts =
        TarSplitReader.open(layerDb.openTarSplit(layer.chainId()), tarSplitName(layer))) {
      return TarSplitAssembler.assembledSize(ts);
    }
  }

  /** The layer's tar as archive content: its size known up front, its bytes rebuilt on demand. */
  ArchiveMember.Content content(LayerRecord layer) {
    return new ArchiveMember.Content() {
      @Override
      public long size() throws IOException {
        return LayerRebuilder.this.size(layer);
      }

      @Override
      public void writeTo(OutputStream out) throws IOException {
        rebuild(layer, out);
      }
    };
  }

  private String tarSplitName(LayerRecord layer) {
    return layerDb.layerDir(layer.chainId()).resolve(LayerDb.TAR_SPLIT).toString();
  }

  /**
   * Rebuilds a layer's tar from its tar-split record and its diff directory into {@code out},
   * checking the whole against the diffID. Fails with {@link DigestMismatchException} (or {@link
   * InvalidArchiveException} for a missing, shorter or longer file) when the layer changed since it
   * was stored; {@code out} then holds all or part of the layer.
   *
   * <p>Files' CRC-64s (Docker's assembler checks each) are checked only once the digest has failed,
   * to name the file that changed: the digest of every byte already proves the layer intact, and
   * leaving the CRCs out saves a pass over all of its content on every save and push.
   */
  void rebuild(LayerRecord layer, OutputStream out) throws IOException {
    Path diff = driver.diff(layer.cacheId()).dir();
    Digest actual;
    try (OffThreadSha256 sink = new OffThreadSha256(out)) {
      assemble(layer, diff, sink, TarSplitAssembler.FileCheck.SIZE);
      actual = sink.digest();
    }
    if (!actual.equals(layer.diffId().digest())) {
      // Which file changed, if one did: the same assembly again, checking each file's CRC-64
      // (throws, naming the file). Otherwise a header or the record itself no longer matches.
      assemble(layer, diff, OutputStream.nullOutputStream(), TarSplitAssembler.FileCheck.CRC64);
      throw new DigestMismatchException(
          layer.diffId(),
          actual,
          "layer "
              + layer.chainId()
              + " rebuilt from "
              + diff
              + " (the layer's files changed since it was stored)");
    }
  }

  private void assemble(
      LayerRecord layer, Path diff, OutputStream out, TarSplitAssembler.FileCheck check)
      throws IOException {
    try (TarSplitReader ts =
        TarSplitReader.open(layerDb.openTarSplit(layer.chainId()), tarSplitName(layer))) {
      TarSplitAssembler.assemble(
          ts, name -> openInLayer(diff, name, layer), out, tarSplitName(layer), check);
    }
  }

  /** Opens a layer-relative name inside {@code diff} without following any symlink. */
  private static InputStream openInLayer(Path diff, String name, LayerRecord layer)
      throws IOException {
    Path p = diff;
    String[] parts = name.split("/");
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new InvalidArchiveException(
            layer.chainId().toString(), name, "tar-split names a path with \"..\"");
      }
      p = p.resolve(part);
      if (i < parts.length - 1 && Files.isSymbolicLink(p)) {
        throw new InvalidArchiveException(
            layer.chainId().toString(), name, "tar-split names a path through a symlink");
      }
    }
    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new InvalidArchiveException(
          layer.chainId().toString(), name, "file missing from the layer's diff dir " + diff);
    }
    return Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
  }
}

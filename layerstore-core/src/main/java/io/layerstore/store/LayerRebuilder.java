package io.layerstore.store;

import io.layerstore.Digest;
import io.layerstore.DigestMismatchException;
import io.layerstore.InvalidArchiveException;
import io.layerstore.archive.OffThreadSha256;
import io.layerstore.spi.GraphDriver;
import io.layerstore.tarsplit.FileGetter;
import io.layerstore.tarsplit.TarSplitAssembler;
import io.layerstore.tarsplit.TarSplitEntries;
import io.layerstore.tarsplit.TarSplitEntry;
import io.layerstore.tarsplit.TarSplitReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rebuilds a stored layer's tar byte for byte: its tar-split record replayed with file contents
 * from the layer's diff directory, checked against the diffID. Every writer of an archive (docker
 * save, OCI layout) and {@code fsck --deep} go through here, so a layer leaves the store one way.
 */
final class LayerRebuilder {

  /**
   * The most entry bytes (segments, checksums, names) held in memory between working out the sizes
   * of layers and writing them, over all layers not yet written: about 40,000 files' worth. A
   * record that does not fit is read a second time to be written.
   */
  static final long HELD_ENTRY_BYTES = 32L << 20;

  private final LayerDb layerDb;
  private final GraphDriver driver;
  private long held;

  LayerRebuilder(LayerDb layerDb, GraphDriver driver) {
    this.layerDb = layerDb;
    this.driver = driver;
  }

  /**
   * The layer's tar as archive content: its size known up front, its bytes rebuilt on demand. An
   * archive needs the size before the bytes, and reading a tar-split record is a good part of
   * rebuilding a layer, so the entries read for the size are kept for the bytes when they fit.
   */
  ArchiveMember.Content content(LayerRecord layer) {
    return new ArchiveMember.Content() {
      private ReadRecord read;

      @Override
      public long size() throws IOException {
        if (read == null) {
          read = read(layer, true);
        }
        return read.size();
      }

      @Override
      public void writeTo(OutputStream out) throws IOException {
        List<TarSplitEntry> entries = read == null ? null : read.entries();
        if (entries != null) {
          release(read);
          read = new ReadRecord(read.size(), null, 0);
        }
        rebuild(layer, entries, out);
      }
    };
  }

  /**
   * A record read through: the size it reassembles to and, if they were kept, its entries and the
   * bytes they count against {@link #HELD_ENTRY_BYTES}.
   */
  private record ReadRecord(long size, List<TarSplitEntry> entries, long heldBytes) {}

  private ReadRecord read(LayerRecord layer, boolean keep) throws IOException {
    List<TarSplitEntry> kept = keep ? new ArrayList<>() : null;
    long keptBytes = 0;
    long size = 0;
    try (TarSplitReader ts =
        TarSplitReader.open(layerDb.openTarSplit(layer.chainId()), tarSplitName(layer))) {
      for (TarSplitEntry e = ts.next(); e != null; e = ts.next()) {
        size += e.isSegment() ? e.payload().length : e.size();
        if (kept != null) {
          // the arrays and strings an entry holds, and about as much again for the objects
          keptBytes += 64 + (e.payload() == null ? 0 : e.payload().length) + 2L * e.name().length();
          if (keptBytes > HELD_ENTRY_BYTES) {
            kept = null;
          } else {
            kept.add(e);
          }
        }
      }
    }
    // Layers are read on several threads at once (an OCI layout's): only the count is shared.
    synchronized (this) {
      if (kept == null || held + keptBytes > HELD_ENTRY_BYTES) {
        return new ReadRecord(size, null, 0);
      }
      held += keptBytes;
    }
    return new ReadRecord(size, kept, keptBytes);
  }

  private synchronized void release(ReadRecord read) {
    held -= read.heldBytes();
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
    rebuild(layer, null, out);
  }

  /** {@link #rebuild(LayerRecord, OutputStream)} from entries already read, if not null. */
  private void rebuild(LayerRecord layer, List<TarSplitEntry> entries, OutputStream out)
      throws IOException {
    Path diff = driver.diff(layer.cacheId()).dir();
    Digest actual;
    try (OffThreadSha256 sink = new OffThreadSha256(out)) {
      assemble(layer, entries, diff, sink, TarSplitAssembler.FileCheck.SIZE);
      actual = sink.digest();
    }
    if (!actual.equals(layer.diffId().digest())) {
      // Which file changed, if one did: the same assembly again, checking each file's CRC-64
      // (throws, naming the file). Otherwise a header or the record itself no longer matches.
      assemble(
          layer, entries, diff, OutputStream.nullOutputStream(), TarSplitAssembler.FileCheck.CRC64);
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
      LayerRecord layer,
      List<TarSplitEntry> entries,
      Path diff,
      OutputStream out,
      TarSplitAssembler.FileCheck check)
      throws IOException {
    try (TarSplitEntries ts =
        entries != null
            ? TarSplitEntries.of(entries)
            : TarSplitReader.open(layerDb.openTarSplit(layer.chainId()), tarSplitName(layer))) {
      TarSplitAssembler.assemble(ts, new DiffFiles(diff, layer), out, tarSplitName(layer), check);
    }
  }

  /**
   * Opens layer-relative names inside one diff directory without following any symlink. Each
   * directory on the way is checked once with an lstat and remembered for the rest of the layer: a
   * tar lists a directory's files together, so a file then costs two system calls (lstat, open)
   * instead of one more per level of its path.
   */
  private static final class DiffFiles implements FileGetter {
    private final Path diff;
    private final LayerRecord layer;
    private final Set<Path> checkedDirs = new HashSet<>();

    DiffFiles(Path diff, LayerRecord layer) {
      this.diff = diff;
      this.layer = layer;
    }

    @Override
    public InputStream open(String name) throws IOException {
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
        if (i < parts.length - 1 && !checkedDirs.contains(p)) {
          if (Files.isSymbolicLink(p)) {
            throw new InvalidArchiveException(
                layer.chainId().toString(), name, "tar-split names a path through a symlink");
          }
          checkedDirs.add(p);
        }
      }
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new InvalidArchiveException(
            layer.chainId().toString(), name, "file missing from the layer's diff dir " + diff);
      }
      return Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
    }
  }
}

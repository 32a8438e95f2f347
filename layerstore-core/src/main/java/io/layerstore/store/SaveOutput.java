package io.layerstore.store;

import io.layerstore.ConflictException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where a save writes, all or nothing: a file is written as a temp file beside it and moved over
 * it, a directory is made beside it and renamed to it, so {@code out} is untouched or complete, and
 * no temp file outlives a failure. Temp names start with {@code .tmp-} and the output's name.
 */
public final class SaveOutput {

  /** Writes into a stream. */
  public interface ToStream {
    /** Writes the archive; the stream is closed by the caller. */
    void write(OutputStream out) throws IOException;
  }

  /** Writes into a stream, with a scratch directory on the same file system for large parts. */
  public interface ToStreamWithScratch {
    /** Writes the archive; {@code scratch} is empty, and deleted afterwards by the caller. */
    void write(OutputStream out, Path scratch) throws IOException;
  }

  /** Writes files into a directory. */
  public interface ToDirectory {
    /** Writes into {@code dir}, a new empty directory. */
    void write(Path dir) throws IOException;
  }

  private final AtomicFiles files;

  public SaveOutput(AtomicFiles files) {
    this.files = files;
  }

  private Path tempBeside(Path out) {
    return out.resolveSibling(".tmp-" + out.getFileName() + "-" + files.randomHex(6));
  }

  /** Writes the file {@code out}, replacing it if it exists. */
  public void file(Path out, ToStream writing) throws IOException {
    Path tmp = tempBeside(out);
    try {
      try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        writing.write(os);
      }
      // fails, for example, when out is a directory; the temp file must not stay behind then
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /** Writes the file {@code out} as {@link #file}, with a scratch directory beside it meanwhile. */
  public void file(Path out, ToStreamWithScratch writing) throws IOException {
    Path tmp = tempBeside(out);
    Path scratch = Files.createDirectory(tmp.resolveSibling(tmp.getFileName() + ".d"));
    try {
      file(out, os -> writing.write(os, scratch));
    } finally {
      Scratch.deleteTree(scratch);
    }
  }

  /**
   * Writes the directory {@code out}, which may exist only as an empty directory: a save never
   * writes into, or over, other files.
   *
   * @throws ConflictException if {@code out} exists and is not an empty directory
   */
  public void directory(Path out, ToDirectory writing) throws IOException {
    if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
        throw new ConflictException(out + " exists and is not a directory");
      }
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(out)) {
        if (ds.iterator().hasNext()) {
          throw new ConflictException(
              out + " is not empty: an OCI layout is written to a new or empty directory");
        }
      }
    }
    Path tmp = Files.createDirectory(tempBeside(out));
    try {
      writing.write(tmp);
      Files.deleteIfExists(out);
      Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      Scratch.deleteTree(tmp);
      throw e;
    }
  }
}

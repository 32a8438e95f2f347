package io.layerstore.tarsplit;

import io.layerstore.DigestMismatchException;
import io.layerstore.InvalidArchiveException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Rebuilds a layer tar from its tar-split record and the layer's files: segments verbatim, each
 * file's content from a {@link FileGetter}, checked against the recorded size and CRC-64. This is
 * how {@code docker save} reproduces the exact bytes that were loaded, and so how we do.
 *
 * <p>The result is a pull stream: nothing runs ahead of the reader, no thread is involved, and only
 * one file is open at a time.
 */
public final class TarSplitAssembler {

  private static final int COPY_BUFFER = 128 * 1024;

  private TarSplitAssembler() {}

  /** What is checked of each file as its content is copied in. */
  public enum FileCheck {
    /** Its size and its CRC-64 against the record, as Docker's assembler checks them. */
    CRC64,
    /**
     * Its size only, for a caller that checks the digest of the whole reassembled stream: that
     * check is stronger than the CRCs together and makes them redundant, which saves a pass over
     * every byte of content. The caller names the file that changed, when the digest fails, by
     * assembling again with {@link #CRC64}.
     */
    SIZE
  }

  /**
   * A stream of the reassembled tar. Reading it throws {@link DigestMismatchException} when a
   * file's CRC differs and {@link InvalidArchiveException} when a file's size differs or the record
   * is damaged. Closing it closes {@code entries}.
   */
  public static InputStream open(TarSplitEntries entries, FileGetter files, String source) {
    return open(entries, files, source, FileCheck.CRC64);
  }

  /**
   * Like {@link #open(TarSplitEntries, FileGetter, String)}, checking files as {@code check} says.
   */
  public static InputStream open(
      TarSplitEntries entries, FileGetter files, String source, FileCheck check) {
    return new AssembledStream(entries, files, source, check == FileCheck.CRC64);
  }

  /** Writes the reassembled tar to {@code out}; returns the number of bytes written. */
  public static long assemble(
      TarSplitEntries entries, FileGetter files, OutputStream out, String source)
      throws IOException {
    return assemble(entries, files, out, source, FileCheck.CRC64);
  }

  /** Writes the reassembled tar to {@code out}, checking files as {@code check} says. */
  public static long assemble(
      TarSplitEntries entries, FileGetter files, OutputStream out, String source, FileCheck check)
      throws IOException {
    // Not transferTo: its 8 KiB buffer would read a big file in 8 KiB system calls.
    byte[] buffer = new byte[COPY_BUFFER];
    long total = 0;
    try (InputStream in = open(entries, files, source, check)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        out.write(buffer, 0, n);
        total += n;
      }
    }
    return total;
  }

  /** Size of the tar a record reassembles to, from the record alone. */
  public static long assembledSize(TarSplitEntries entries) throws IOException {
    long total = 0;
    for (TarSplitEntry e = entries.next(); e != null; e = entries.next()) {
      total += e.isSegment() ? e.payload().length : e.size();
    }
    return total;
  }

  /** Walks the entries lazily; holds at most one segment and one open file. */
  private static final class AssembledStream extends InputStream {
    private final TarSplitEntries entries;
    private final FileGetter files;
    private final String source;
    private byte[] segment;
    private int segmentPos;
    private InputStream file;
    private TarSplitEntry fileEntry;
    private long fileRemaining;
    private final Crc64 crc;
    private final byte[] one = new byte[1];
    private boolean done;

    AssembledStream(TarSplitEntries entries, FileGetter files, String source, boolean crcs) {
      this.entries = entries;
      this.files = files;
      this.source = source;
      this.crc = crcs ? new Crc64() : null;
    }

    @Override
    public int read() throws IOException {
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (true) {
        if (segment != null) {
          if (segmentPos < segment.length) {
            int n = Math.min(len, segment.length - segmentPos);
            System.arraycopy(segment, segmentPos, b, off, n);
            segmentPos += n;
            return n;
          }
          segment = null;
        }
        if (file != null) {
          if (fileRemaining > 0) {
            int n = file.read(b, off, (int) Math.min(len, fileRemaining));
            if (n < 0) {
              throw new InvalidArchiveException(
                  source,
                  fileEntry.name(),
                  "file is shorter than the "
                      + fileEntry.size()
                      + " bytes tar-split recorded ("
                      + fileRemaining
                      + " missing)");
            }
            if (crc != null) {
              crc.update(b, off, n);
            }
            fileRemaining -= n;
            return n;
          }
          finishFile();
        }
        if (done || !advance()) {
          done = true;
          return -1;
        }
      }
    }

    /** Loads the next entry with bytes to give; false at the end. */
    private boolean advance() throws IOException {
      for (TarSplitEntry e = entries.next(); e != null; e = entries.next()) {
        if (e.isSegment()) {
          if (e.payload().length > 0) {
            segment = e.payload();
            segmentPos = 0;
            return true;
          }
        } else if (e.size() > 0) {
          if (e.nameRaw() != null) {
            throw new InvalidArchiveException(
                source,
                null,
                "file entry " + e.position() + " has a non-UTF-8 name, which cannot be opened");
          }
          file = files.open(e.name());
          fileEntry = e;
          fileRemaining = e.size();
          if (crc != null) {
            crc.reset();
          }
          return true;
        }
      }
      return false;
    }

    private void finishFile() throws IOException {
      try (InputStream f = file) {
        if (f.read() >= 0) {
          throw new InvalidArchiveException(
              source,
              fileEntry.name(),
              "file is longer than the " + fileEntry.size() + " bytes tar-split recorded");
        }
      } finally {
        file = null;
      }
      if (crc == null) {
        return;
      }
      byte[] actual = crc.toBytes();
      if (!Arrays.equals(actual, fileEntry.payload())) {
        throw new DigestMismatchException(
            "crc64:" + Crc64.hex(fileEntry.payload()),
            "crc64:" + Crc64.hex(actual),
            source + ": file \"" + fileEntry.name() + "\" (file integrity checksum failed)");
      }
    }

    @Override
    public void close() throws IOException {
      try {
        if (file != null) {
          file.close();
          file = null;
        }
      } finally {
        entries.close();
      }
    }
  }
}

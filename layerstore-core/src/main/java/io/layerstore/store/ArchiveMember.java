package io.layerstore.store;

import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * One member of an archive the store writes (docker save, OCI layout): a directory, a symlink or a
 * file whose content is known by size before its bytes stream out. Both writers give their members
 * the same headers — owner root, whole-second times, 0755 directories and 0644 files — as Docker's
 * {@code archive.Tar} of its export directory does.
 *
 * @param name the member's name in the archive ({@code /}-terminated for a directory)
 * @param typeflag {@link TarHeader#DIRECTORY}, {@link TarHeader#SYMLINK} or {@link
 *     TarHeader#REGULAR}
 * @param mtime the member's time (truncated to seconds when written)
 * @param content a file's content, else null
 * @param link a symlink's target, else null
 */
record ArchiveMember(String name, byte typeflag, Instant mtime, Content content, String link) {

  /** A file's content: its length first (the tar header needs it), then its bytes. */
  interface Content {
    /** The exact number of bytes {@link #writeTo} writes. */
    long size() throws IOException;

    /** Writes the content. */
    void writeTo(OutputStream out) throws IOException;

    /** Content held in memory. */
    static Content of(byte[] data) {
      return new Content() {
        @Override
        public long size() {
          return data.length;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
          out.write(data);
        }
      };
    }

    /** Content of a file written beforehand (a compressed layer). */
    static Content of(Path file) {
      return new Content() {
        @Override
        public long size() throws IOException {
          return Files.size(file);
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
          try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(out);
          }
        }
      };
    }
  }

  static ArchiveMember directory(String name, Instant mtime) {
    return new ArchiveMember(name, TarHeader.DIRECTORY, mtime, null, null);
  }

  static ArchiveMember file(String name, Instant mtime, Content content) {
    return new ArchiveMember(name, TarHeader.REGULAR, mtime, content, null);
  }

  static ArchiveMember file(String name, Instant mtime, byte[] data) {
    return file(name, mtime, Content.of(data));
  }

  static ArchiveMember symlink(String name, Instant mtime, String target) {
    return new ArchiveMember(name, TarHeader.SYMLINK, mtime, null, target);
  }

  /**
   * Writes members, in the order given, as a tar to {@code out}, and the tar's end. A file whose
   * content writes other than its announced size fails the tar writer.
   */
  static void writeTar(Iterable<ArchiveMember> members, OutputStream out) throws IOException {
    TarWriter tar = new TarWriter(out);
    OutputStream body =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            tar.write(b, off, len);
          }
        };
    for (ArchiveMember m : members) {
      TarHeader.Builder h =
          TarHeader.builder(m.name(), m.typeflag())
              .mtime(Instant.ofEpochSecond(m.mtime().getEpochSecond()))
              .userName("root")
              .groupName("root");
      if (m.typeflag() == TarHeader.DIRECTORY) {
        tar.putNextEntry(h.mode(040755).build());
      } else if (m.typeflag() == TarHeader.SYMLINK) {
        tar.putNextEntry(h.mode(0120777).linkName(m.link()).build());
      } else {
        tar.putNextEntry(h.mode(0100644).size(m.content().size()).build());
        m.content().writeTo(body);
      }
    }
    tar.finish();
    out.flush();
  }
}

package io.layerstore.build.internal;

import io.layerstore.LayerStoreException;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarWriter;
import io.layerstore.store.LayerStaging;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;

/**
 * Writes a {@link LayerPlan} as a tar, the way every run on every machine writes it: members in the
 * plan's order, the attributes the plan gave them, empty user and group names, no PAX records but
 * those a long name or a big number needs (Go's writer's rules, {@link TarWriter}), no access or
 * change times.
 *
 * <p>{@link #stage} feeds the tar to the store's staging through a pipe, written on a thread of its
 * own: the staging then records the layer exactly as it records a loaded one (diffID, tar-split,
 * the driver's directory) in the same single pass.
 */
final class LayerTar {
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;

  private LayerTar() {}

  /** Writes the tar and its end blocks; leaves {@code out} open. */
  static void write(LayerPlan plan, OutputStream out) throws IOException {
    TarWriter w = new TarWriter(out);
    byte[] buf = new byte[256 << 10];
    for (LayerPlan.Member m : plan.members()) {
      TarHeader.Builder h;
      switch (m.kind()) {
        case DIRECTORY ->
            h = TarHeader.builder(m.name() + "/", TarHeader.DIRECTORY).mode(S_IFDIR | m.mode());
        case SYMLINK ->
            h =
                TarHeader.builder(m.name(), TarHeader.SYMLINK)
                    .mode(S_IFLNK | m.mode())
                    .linkName(m.link());
        default ->
            h =
                TarHeader.builder(m.name(), TarHeader.REGULAR)
                    .mode(S_IFREG | m.mode())
                    .size(m.size());
      }
      w.putNextEntry(h.uid(m.uid()).gid(m.gid()).mtime(m.mtime()).build());
      if (m.bytes() != null) {
        w.write(m.bytes(), 0, m.bytes().length);
      } else if (m.source() != null) {
        copy(m, w, buf);
      }
    }
    w.finish();
  }

  /**
   * Copies exactly the size the plan stat'ed: a file that grew or shrank since would make a tar
   * that says one thing and holds another, so it fails the build instead.
   */
  private static void copy(LayerPlan.Member m, TarWriter w, byte[] buf) throws IOException {
    long left = m.size();
    try (InputStream in = Files.newInputStream(m.source())) {
      while (left > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          break;
        }
        w.write(buf, 0, n);
        left -= n;
      }
      if (left > 0 || in.read() >= 0) {
        throw new LayerStoreException(
            "build source " + m.source() + " changed while it was being added; build again");
      }
    }
  }

  /**
   * Writes to the staging's pipe and to the side output (if any): the tar goes out once, read from
   * the sources once.
   */
  private static final class Tee extends FilterOutputStream {
    private final OutputStream side;

    Tee(OutputStream pipe, OutputStream side) {
      super(pipe);
      this.side = side;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      if (side != null) {
        side.write(b, off, len);
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
      if (side != null) {
        side.flush();
      }
    }
  }

  /**
   * Stages the plan's tar as a new layer on {@code parent}; the same bytes also go to {@code side}
   * (null for none), which is closed once the whole tar is written. A failure of the writer (a
   * source that changed or could not be read) wins over what it made the reader see (a truncated
   * tar), and leaves nothing staged.
   */
  static LayerStaging.Staged stage(
      LayerStaging staging, LayerPlan plan, LayerStaging.Parent parent, OutputStream side)
      throws IOException {
    return staging.stage(
        out -> {
          write(plan, new Tee(out, side));
          if (side != null) {
            side.close(); // ends its stream (a compressor's trailer) once the tar is whole
          }
        },
        plan.label(),
        parent);
  }
}

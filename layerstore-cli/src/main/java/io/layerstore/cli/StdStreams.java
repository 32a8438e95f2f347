package io.layerstore.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the process's stdin and stdout are, as docker's client asks before it reads an archive from
 * stdin or writes one to stdout: a terminal (refused: an archive is no terminal's business), a
 * regular file ({@code < image.tar}, which a load can read in place), or a pipe. On Linux the
 * answer is the target of {@code /proc/self/fd/N}; elsewhere only {@link System#console()} tells,
 * and only when both streams are terminals.
 */
final class StdStreams {
  static final int STDIN = 0;
  static final int STDOUT = 1;

  private StdStreams() {}

  /** Writes an archive into a stream. */
  @FunctionalInterface
  interface ArchiveWriter {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Writes an archive to the command's stdout, as {@code docker save} and {@code docker export}
   * without {@code -o} do, refusing a terminal in docker's words.
   */
  static void writeArchive(Main.Context ctx, ArchiveWriter writer) throws IOException {
    if (ctx.writesStdout() && isTerminal(STDOUT)) {
      throw new Main.UsageException(
          "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    // The process's stdout gets a stream of its own: System.out, a PrintStream, would swallow a
    // write error (a closed pipe) and the command would report success.
    ctx.out.flush();
    OutputStream os =
        ctx.writesStdout()
            ? new BufferedOutputStream(new Named(new FileOutputStream(FileDescriptor.out)), 1 << 16)
            : ctx.out;
    writer.write(os);
    os.flush();
    if (ctx.out.checkError()) {
      throw new IOException("writing the archive to stdout failed");
    }
  }

  /** Whether file descriptor {@code fd} (stdin or stdout) is a terminal. */
  static boolean isTerminal(int fd) {
    Optional<String> target = target(fd);
    if (target.isEmpty()) {
      return System.console() != null;
    }
    String t = target.get();
    return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty") || t.equals("/dev/console");
  }

  /**
   * The regular file {@code fd} reads, by its real path, if it is one that can be opened again (not
   * deleted); empty for a pipe, a socket, a terminal or where {@code /proc} does not tell.
   */
  static Optional<Path> regularFile(int fd) {
    Path link = Path.of("/proc/self/fd/" + fd);
    try {
      if (!Files.isRegularFile(link)) {
        return Optional.empty();
      }
      Path real = link.toRealPath();
      return Files.isRegularFile(real) ? Optional.of(real) : Optional.empty();
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> target(int fd) {
    try {
      return Optional.of(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Optional.empty();
    }
  }

  /**
   * Stdout whose write errors name it ("stdout: Broken pipe", as a file system error names its
   * file), so the command's error says where writing failed, not only how.
   */
  private static final class Named extends FilterOutputStream {
    Named(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw named(e);
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        throw named(e);
      }
    }

    private static IOException named(IOException e) {
      if (e instanceof FileSystemException) {
        return e;
      }
      FileSystemException named = new FileSystemException("stdout", null, e.getMessage());
      named.initCause(e);
      return named;
    }
  }
}

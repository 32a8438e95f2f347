package io.layerstore.spi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process that holds a mount reference, named so that another process can later tell whether it
 * is still alive: its pid and its start time, field 22 of {@code /proc/<pid>/stat} (clock ticks
 * since boot). A pid alone is not enough: the kernel reuses pids, and a new process with the pid of
 * a dead holder must not keep the dead holder's mount up forever.
 *
 * <p>Written as {@code <pid>@<start>}. Where there is no {@code /proc} (kernel mounts need Linux,
 * so this is only a fallback) the start is the one {@link ProcessHandle} reports, in milliseconds.
 */
record ProcessHolder(long pid, long start) {

  private static final Path PROC = Path.of("/proc");

  /** This process. */
  static ProcessHolder current() throws IOException {
    return of(ProcessHandle.current().pid()).orElseThrow();
  }

  /** The process {@code pid} as it runs now, or empty if none does. */
  static Optional<ProcessHolder> of(long pid) throws IOException {
    return startOf(pid).map(start -> new ProcessHolder(pid, start));
  }

  /**
   * Reads a holder written by {@link #toString}.
   *
   * @return the holder, or empty if {@code text} is not one
   */
  static Optional<ProcessHolder> parse(String text) {
    int at = text.indexOf('@');
    if (at <= 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new ProcessHolder(
              Long.parseLong(text.substring(0, at)), Long.parseLong(text.substring(at + 1))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether this process still runs: its pid exists and started when this holder's did. */
  boolean isAlive() throws IOException {
    return startOf(pid).map(s -> s == start).orElse(false);
  }

  /** The start time of process {@code pid}, or empty if no such process runs. */
  private static Optional<Long> startOf(long pid) throws IOException {
    if (!Files.isDirectory(PROC)) {
      return ProcessHandle.of(pid)
          .map(h -> h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L));
    }
    String stat;
    try {
      stat =
          Files.readString(
              PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count fields after the
    // last ')'; the start time is field 22, the 20th after it.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    if (fields[0].equals("Z") || fields[0].equals("X")) {
      return Optional.empty(); // exited, waiting for its parent: it holds nothing any more
    }
    return Optional.of(Long.parseLong(fields[19]));
  }

  @Override
  public String toString() {
    return pid + "@" + start;
  }
}

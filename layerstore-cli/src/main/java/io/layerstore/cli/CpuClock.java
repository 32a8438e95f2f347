package io.layerstore.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time from {@code /proc}, so that every contender is charged the same way: the bench JVM's own
 * threads (in-process work), the child processes it has waited for (a CLI, tar, umoci; the kernel
 * adds a reaped child's time, and its reaped children's, to the parent's {@code cutime}/{@code
 * cstime}), and, when given, a daemon the work is sent to (dockerd, with the children it reaped,
 * such as the {@code docker-untar} process that unpacks a layer). Clock ticks are 1/100 s (USER_HZ
 * on Linux), so a single short operation reads as 0 or 10 ms; medians of longer runs are
 * meaningful.
 */
final class CpuClock {
  private static final double TICK = 0.01;

  /** User and system seconds. */
  record Reading(double user, double system) {
    Reading minus(Reading o) {
      return new Reading(user - o.user, system - o.system);
    }
  }

  private final List<Path> others = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * A clock of this process and its children, plus the processes {@code pids} (their own time; one
   * that has exited counts no more).
   */
  CpuClock(List<Long> pids) {
    watch(pids);
  }

  /**
   * Counts the processes {@code pids} too, from now on (a daemon started for one run); call it
   * before the run's first {@link #read}.
   */
  void watch(List<Long> pids) {
    pids.forEach(p -> others.add(stat(p)));
  }

  /**
   * Stops counting the processes {@code pids} (a run's daemon, once its run is read): their process
   * ids may be given to other processes later.
   */
  void unwatch(List<Long> pids) {
    pids.forEach(p -> others.remove(stat(p)));
  }

  private static Path stat(long pid) {
    return Path.of("/proc", Long.toString(pid), "stat");
  }

  Reading read() throws IOException {
    long[] self = fields(Path.of("/proc/self/stat"));
    double user = (self[0] + self[2]) * TICK;
    double system = (self[1] + self[3]) * TICK;
    for (Path p : others) {
      if (Files.exists(p)) {
        // with the children it has reaped: dockerd unpacks layers in a child (docker-untar)
        long[] f = fields(p);
        user += (f[0] + f[2]) * TICK;
        system += (f[1] + f[3]) * TICK;
      }
    }
    return new Reading(user, system);
  }

  /** utime, stime, cutime, cstime of a {@code /proc/PID/stat} (fields 14 to 17). */
  static long[] fields(Path stat) throws IOException {
    String s = Files.readString(stat);
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    return new long[] {
      Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])
    };
  }
}

package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.testkit.PlatformRequirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The file-system calls that make a store change durable — fsync, syncfs, rename, unlink — of one
 * {@code layerstore} command, recorded by strace(1) around the real command line. Paths are
 * relative to the store's root; calls outside it (the JVM's own files, {@code /proc}) are left out.
 * {@link #problems} says which publication is not made durable as a crash-safe store must make it.
 */
final class SyscallTrace {

  /** One successful call; {@code start} and {@code end} order calls across threads. */
  record Call(int start, int end, String name, List<String> paths) {
    String path() {
      return paths.get(0);
    }
  }

  private static final String TRACED =
      "fsync,fdatasync,syncfs,rename,renameat,renameat2,unlink,unlinkat";

  // 123  fsync(46</a/b>) = 0  |  123  rename("/a", "/b" <unfinished ...>  |  123  <... rename
  // resumed>) = 0
  private static final Pattern WHOLE =
      Pattern.compile("^(\\d+)\\s+(\\w+)\\((.*)\\)\\s+=\\s+(-?\\d+).*$");
  private static final Pattern UNFINISHED =
      Pattern.compile("^(\\d+)\\s+(\\w+)\\((.*) <unfinished \\.\\.\\.>$");
  private static final Pattern RESUMED =
      Pattern.compile("^(\\d+)\\s+<\\.\\.\\. (\\w+) resumed>(.*)\\)\\s+=\\s+(-?\\d+).*$");
  // an argument strace shows as a path: a quoted name, or a descriptor with its path (-y)
  private static final Pattern PATH_ARG = Pattern.compile("\"([^\"]*)\"|\\d+<([^>]*)>");

  private static final Pattern JOURNAL_ENTRY =
      Pattern.compile("layerstore/journal/[0-9]+-[0-9a-f]+\\.json");
  private static final Pattern REMOVING =
      Pattern.compile("(layerdb/sha256/[0-9a-f]{64})-[0-9a-f]+-removing$");

  private final List<Call> calls;

  private SyscallTrace(List<Call> calls) {
    this.calls = calls;
  }

  /** Runs {@code layerstore --root root args} under strace; it must succeed. */
  static SyscallTrace of(Path root, Path traceFile, String... args)
      throws IOException, InterruptedException {
    Path strace = PlatformRequirements.requireExecutable("strace", "strace");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                strace.toString(),
                "-f",
                "--seccomp-bpf", // stop only at the traced calls: the JVM runs nearly at speed
                "-qq",
                "-y",
                "-e",
                "trace=" + TRACED,
                "-o",
                traceFile.toString()));
    cmd.addAll(CliRun.command(root, args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "strace'd command ends");
    assertEquals(0, p.exitValue(), () -> String.join(" ", args) + " failed: " + out);
    return parse(Files.readAllLines(traceFile), root.toAbsolutePath().toString() + "/");
  }

  static SyscallTrace parse(List<String> lines, String rootPrefix) {
    List<Call> calls = new ArrayList<>();
    Map<String, String[]> pending = new HashMap<>(); // pid -> {name, args, start}
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      Matcher m;
      if ((m = WHOLE.matcher(line)).matches()) {
        add(calls, i, i, m.group(2), m.group(3), m.group(4), rootPrefix);
      } else if ((m = UNFINISHED.matcher(line)).matches()) {
        pending.put(m.group(1), new String[] {m.group(2), m.group(3), Integer.toString(i)});
      } else if ((m = RESUMED.matcher(line)).matches()) {
        String[] started = pending.remove(m.group(1));
        if (started != null) {
          add(
              calls,
              Integer.parseInt(started[2]),
              i,
              started[0],
              started[1] + m.group(3),
              m.group(4),
              rootPrefix);
        }
      }
    }
    return new SyscallTrace(calls);
  }

  private static void add(
      List<Call> calls, int start, int end, String name, String args, String result, String root) {
    if (!"0".equals(result)) {
      return; // failed calls changed nothing (an absent file, a probe)
    }
    List<String> paths = new ArrayList<>();
    String dir = null;
    Matcher m = PATH_ARG.matcher(args);
    while (m.find()) {
      if (m.group(2) != null) {
        dir = m.group(2); // a descriptor: the directory of a name that follows (…at calls)
        if (!name.endsWith("at")) {
          paths.add(dir);
        }
      } else {
        String p = m.group(1);
        paths.add(p.startsWith("/") || dir == null ? p : dir + "/" + p);
        dir = null;
      }
    }
    if (!paths.isEmpty() && paths.stream().allMatch(p -> p.startsWith(root))) {
      calls.add(
          new Call(start, end, name, paths.stream().map(p -> p.substring(root.length())).toList()));
    }
  }

  /** How many calls of each kind touched the store, by path: for the report. */
  Map<String, Integer> fsyncsByPath() {
    Map<String, Integer> out = new TreeMap<>();
    for (Call c : calls) {
      if (c.name().equals("fsync") || c.name().equals("syncfs") || c.name().equals("fdatasync")) {
        out.merge(c.name() + " " + normalize(c.path()), 1, Integer::sum);
      }
    }
    return out;
  }

  /**
   * What the command published, in order: every rename to a final name in the store, and every
   * removal of an image config, with names made random by the store replaced by a placeholder.
   */
  List<String> publications() {
    List<String> out = new ArrayList<>();
    for (Call c : calls) {
      if (isRename(c)) {
        out.add("rename " + normalize(c.paths().get(1)));
      } else if (isDeletedRecord(c)) {
        out.add("delete " + normalize(c.path()));
      }
    }
    return out;
  }

  /**
   * Every way the trace falls short of crash-safe publication; empty when:
   *
   * <ul>
   *   <li>what a rename makes visible was fsynced before it (a file; a layer record's directory and
   *       each file in it; the layer's contents, through syncfs, before the change is recorded);
   *   <li>the directory that holds a renamed or deleted name is fsynced after the rename or
   *       deletion;
   *   <li>every change other than the journal's own happens while a journal entry is recorded.
   * </ul>
   */
  List<String> problems() {
    List<String> out = new ArrayList<>();
    for (Call c : calls) {
      if (isRename(c)) {
        String from = c.paths().get(0);
        String to = c.paths().get(1);
        if (!REMOVING.matcher(to).find()) {
          // a layer record going away need not be durable as a whole: recovery finishes removals
          requireSyncBefore(out, from, c, "renamed to " + to);
          if (from.contains("layerdb/tmp/write-set-")) {
            for (String f : List.of("diff", "size", "cache-id", "tar-split.json.gz")) {
              requireSyncBefore(out, from + "/" + f, c, "in the layer record " + to);
            }
          }
        }
        requireSyncAfter(out, parent(to), c, "after the rename to " + to);
        if (!JOURNAL_ENTRY.matcher(to).matches() && !withinJournalEntry(c)) {
          out.add(to + " was published outside a journal entry");
        }
      } else if (isDeletedRecord(c)) {
        requireSyncAfter(out, parent(c.path()), c, "after deleting " + c.path());
      }
    }
    for (Call journal : calls) {
      if (isRename(journal)
          && JOURNAL_ENTRY.matcher(journal.paths().get(1)).matches()
          && calls.stream()
              .anyMatch(r -> isRename(r) && r.paths().get(0).contains("layerdb/tmp/write-set-"))
          && calls.stream()
              .noneMatch(s -> s.name().equals("syncfs") && s.end() < journal.start())) {
        out.add("layer contents not synced (syncfs) before the change was recorded");
      }
    }
    return out;
  }

  private boolean withinJournalEntry(Call c) {
    for (Call rec : calls) {
      if (isRename(rec) && JOURNAL_ENTRY.matcher(rec.paths().get(1)).matches()) {
        String entry = rec.paths().get(1);
        boolean done =
            calls.stream()
                .anyMatch(
                    d ->
                        d.name().startsWith("unlink")
                            && d.path().equals(entry)
                            && d.start() > c.end());
        if (rec.end() < c.start() && done) {
          return true;
        }
      }
    }
    return false;
  }

  private void requireSyncBefore(List<String> out, String path, Call c, String why) {
    if (calls.stream().noneMatch(s -> isFsync(s) && s.path().equals(path) && s.end() < c.start())) {
      out.add(path + " not fsynced before it was " + why);
    }
  }

  private void requireSyncAfter(List<String> out, String dir, Call c, String why) {
    if (calls.stream().noneMatch(s -> isFsync(s) && s.path().equals(dir) && s.start() > c.end())) {
      out.add("directory " + dir + " not fsynced " + why);
    }
  }

  private static boolean isFsync(Call c) {
    return c.name().equals("fsync") || c.name().equals("fdatasync");
  }

  private static boolean isRename(Call c) {
    return c.name().startsWith("rename") && c.paths().size() == 2;
  }

  /**
   * An image config (imagedb content) or journal entry removed: a change others must not see back.
   */
  private static boolean isDeletedRecord(Call c) {
    return c.name().startsWith("unlink")
        && (c.path().startsWith("image/overlay2/imagedb/content/sha256/")
            || JOURNAL_ENTRY.matcher(c.path()).matches());
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  private static String normalize(String path) {
    String p = JOURNAL_ENTRY.matcher(path).replaceAll("layerstore/journal/<entry>.json");
    p = REMOVING.matcher(p).replaceAll("$1-<random>-removing");
    return p.replaceAll("write-set-[0-9a-f]+", "write-set-<random>")
        .replaceAll("\\.tmp-[^/]*", ".tmp-<random>");
  }
}

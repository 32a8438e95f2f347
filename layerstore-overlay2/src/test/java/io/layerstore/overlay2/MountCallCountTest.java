package io.layerstore.overlay2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.testkit.ImageArchiveBuilder;
import io.layerstore.testkit.PlatformRequirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guards the cost of a warm mount + umount of a {@value #LAYERS}-layer image through the API (issue
 * 10's mount goal: within 1 ms of the bare mount(2) + umount2(2)): the system calls the calling
 * thread and the mount thread make per cycle are counted with strace attached to this JVM, by name,
 * and must equal the counts below exactly. A change that adds a call per mount (a toRealPath's
 * readlinks, a read of the mount table, a check before a mkdir) fails here; no timing is involved.
 * Needs root, the kernel's overlay and strace.
 */
class MountCallCountTest {
  private static final int LAYERS = 125;
  private static final int WARM_UP = 200;
  private static final int CYCLES = 20;

  /**
   * The file system calls that are counted: every call the mount path makes on files, locks and
   * mounts. Memory and thread calls (futex, mmap) are left out: the JVM makes them when it likes;
   * so is pread64, with which the JDK reads a class out of a jar, and the mount path never calls.
   */
  private static final String TRACED =
      "openat,open,close,read,write,pwrite64,newfstatat,fstat,stat,lstat,statx,fcntl,flock,"
          + "mkdir,mkdirat,rmdir,unlink,unlinkat,rename,renameat,renameat2,chdir,fchdir,mount,"
          + "umount2,readlink,readlinkat,access,faccessat,faccessat2,getdents64,dup,dup2,lseek,"
          + "fchmod,fchmodat,ftruncate,fsync,fdatasync";

  /**
   * Per warm cycle, by call. Of these, the mount path's own (spi, platform, store.MountPins and the
   * overlay2 driver): the pin's lock (fcntl to lock, fcntl to unlock: its file stays open), the
   * count's lock twice (the same), the count read twice (openat, fstat, 2 reads, close; the file
   * stays between mounts, blank when nothing holds it) and written twice in place (openat,
   * pwrite64, close), the layer's directory checked (statx), whether {@code merged/} is mounted
   * (one statx each way), {@code merged/} made (mkdir, with its mode) and removed (statx, rmdir),
   * chdir + mount on the mount thread, umount2. The rest is the facade's: the store lock (its file
   * open too), the journal listed once (openat, dup, fstat, 2 fcntl, 2 getdents64, 2 close), the
   * image's config seen to be there (statx twice: resolving the id and before its kept top chainID
   * is used), and the top layer's {@code cache-id} read (openat, fstat, 2 reads, close).
   */
  private static final Map<String, Integer> EXPECTED =
      new TreeMap<>(
          Map.ofEntries(
              Map.entry("chdir", 1),
              Map.entry("close", 7),
              Map.entry("dup", 1),
              Map.entry("fcntl", 10),
              Map.entry("getdents64", 2),
              Map.entry("mkdir", 1),
              Map.entry("mount", 1),
              Map.entry("newfstatat", 4),
              Map.entry("openat", 6),
              Map.entry("pwrite64", 2),
              Map.entry("read", 6),
              Map.entry("rmdir", 1),
              Map.entry("statx", 6),
              Map.entry("umount2", 1)));

  @TempDir Path tmp;

  @Test
  void warmMountAndUmountMakeExactlyTheseCalls() throws Exception {
    PlatformRequirements.requireKernelOverlay();
    Path strace = PlatformRequirements.requireExecutable("strace", "strace");
    try (LayerStore store = LayerStore.builder(tmp.resolve("store")).driver("overlay2").open()) {
      ImageArchiveBuilder b = new ImageArchiveBuilder().tag("count:" + LAYERS);
      for (int i = 0; i < LAYERS; i++) {
        b.layer().dir("d" + i, 0755).file("d" + i + "/f", "layer " + i + "\n", 0644);
      }
      Path archive = tmp.resolve("image.tar");
      b.write(archive);
      String image = store.load(archive).get(0).toString();
      for (int i = 0; i < WARM_UP; i++) {
        cycle(store, image);
      }
      Set<String> tids = new java.util.HashSet<>(mountThreadTids());
      tids.add(currentTid());
      Path out = tmp.resolve("strace.txt");
      Process p =
          new ProcessBuilder(
                  strace.toString(),
                  "-f",
                  "-qq",
                  "-e",
                  "trace=" + TRACED,
                  "-o",
                  out.toString(),
                  "-p",
                  Long.toString(ProcessHandle.current().pid()))
              .redirectErrorStream(true)
              .redirectOutput(tmp.resolve("strace.log").toFile())
              .start();
      Path start = tmp.resolve("start-of-cycles");
      Path end = tmp.resolve("end-of-cycles");
      try {
        // Wait until both threads have a tracer (never by reading strace's output from here: that
        // read is traced too, and the output would grow as fast as it is read).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!tids.stream().allMatch(MountCallCountTest::isTraced)) {
          assertTrue(p.isAlive(), "strace exited: " + Files.readString(tmp.resolve("strace.log")));
          assertTrue(System.nanoTime() < deadline, "strace did not attach within 30 s");
          Thread.sleep(20);
        }
        Files.exists(start);
        for (int i = 0; i < CYCLES; i++) {
          cycle(store, image);
        }
        Files.exists(end);
      } finally {
        p.destroy(); // SIGTERM: strace detaches and flushes its output
        p.waitFor(30, TimeUnit.SECONDS);
      }
      Map<String, Integer> perCycle = perCycle(Files.readAllLines(out), tids, start, end);
      assertEquals(EXPECTED, perCycle, "system calls per warm mount + umount of " + LAYERS);
    }
  }

  private static void cycle(LayerStore store, String image) throws IOException {
    try (Mount m = store.mount(image)) {
      assertTrue(m.isKernelMount());
    }
  }

  /**
   * The calls of {@code tids} between the probe of {@code start} and the probe of {@code end}, by
   * name, divided by {@link #CYCLES} (each must divide evenly: a call made in some cycles and not
   * others is a finding too).
   */
  private static Map<String, Integer> perCycle(
      List<String> lines, Set<String> tids, Path start, Path end) {
    int from = -1;
    int to = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (from < 0 && lines.get(i).contains('"' + start.toString() + '"')) {
        from = i;
      } else if (lines.get(i).contains('"' + end.toString() + '"')) {
        to = i;
      }
    }
    assertTrue(from >= 0 && to > from, "probes not traced");
    Pattern call = Pattern.compile("^(\\d+) +([a-z0-9_]+)\\((\\d*)");
    Map<String, Integer> total = new TreeMap<>();
    String jarRead = null; // the fd a class loader has just seeked in a jar: its next read is too
    for (String line : lines.subList(from + 1, to)) {
      Matcher m = call.matcher(line);
      if (!m.find() || !tids.contains(m.group(1)) || line.contains(" resumed>")) {
        continue;
      }
      String name = m.group(2);
      String fd = m.group(3);
      // A class loaded lazily in one cycle (the JVM's doing, not the mount path's): its lookups
      // of .class files, and the seek + read of its entry in a jar, which nothing else makes.
      if (line.contains(".class\"") || line.contains(".jar\"")) {
        continue;
      }
      if (name.equals("lseek") && line.contains("SEEK_SET")) {
        jarRead = fd;
        continue;
      }
      if (name.equals("read") && fd.equals(jarRead)) {
        continue;
      }
      jarRead = null;
      total.merge(name, 1, Integer::sum);
    }
    Map<String, Integer> out = new TreeMap<>();
    List<String> uneven = new ArrayList<>();
    total.forEach(
        (name, n) -> {
          if (n % CYCLES != 0) {
            uneven.add(name + " " + n);
          }
          out.put(name, n / CYCLES);
        });
    assertEquals(List.of(), uneven, "calls not made once per cycle, in " + CYCLES + " cycles");
    return out;
  }

  /** Whether thread {@code tid} of this process has a tracer ({@code TracerPid} not 0). */
  private static boolean isTraced(String tid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/task", tid, "status"))) {
        if (line.startsWith("TracerPid:")) {
          return !line.substring("TracerPid:".length()).strip().equals("0");
        }
      }
      return false;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** This thread's id, from {@code /proc/thread-self} ({@code <pid>/task/<tid>}). */
  private static String currentTid() throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
  }

  /**
   * The ids of the threads that make mounts with relative options (their names start so). Every one
   * of them: a store that an earlier test class in this JVM left open has one too, and which one is
   * this store's cannot be told from outside (an idle one makes no calls to count).
   */
  private static Set<String> mountThreadTids() throws IOException {
    Set<String> found = new java.util.HashSet<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : tasks) {
        String comm = Files.readString(t.resolve("comm"), StandardCharsets.US_ASCII).strip();
        if ("layerstore-relative-mount".startsWith(comm)) {
          found.add(t.getFileName().toString());
        }
      }
    }
    assertTrue(
        !found.isEmpty(), "no layerstore-relative-mount thread: a 125-layer mount makes one");
    return found;
  }
}

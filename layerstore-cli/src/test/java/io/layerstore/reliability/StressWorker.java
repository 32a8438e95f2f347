package io.layerstore.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ConflictException;
import io.layerstore.ImageId;
import io.layerstore.ImageSummary;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.RemoveOptions;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.Container;
import io.layerstore.container.CreateOptions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * One JVM's share of the concurrency stress test: {@code threads} threads doing random load,
 * mount/read/umount, tag, remove, commit (create a container, write a file, commit it, remove the
 * container) and list operations on one shared store. Every operation targets an image or a name
 * the store listed just before, and is recorded as an {@link Event} — what it aimed at, when, and
 * what it changed or why it was refused — so that {@link StressCheck} can hold every refusal to a
 * cause in the workload. An exception other than a refusal is a failure. Run in the test's own JVM
 * and, as {@link #main}, in a second one.
 */
public final class StressWorker {

  /**
   * One operation as it happened. Times are microseconds of the wall clock, which both JVMs share:
   * {@code picked} is before the store was listed to choose the target, {@code end} after the
   * outcome.
   *
   * @param outcome {@code done}, {@code nothing} (nothing to aim at), {@code gone} (NotFound) or
   *     {@code refused} (Conflict)
   * @param id the image aimed at (the one loaded, for a load)
   * @param name the name removed, for a removal by name
   * @param tags the image's tags when it was picked
   * @param deleted images a removal deleted
   * @param untagged names a removal untagged
   * @param made the image a commit made
   */
  record Event(
      String jvm,
      String op,
      String outcome,
      long picked,
      long end,
      String id,
      String name,
      List<String> tags,
      boolean forced,
      String error,
      List<String> deleted,
      List<String> untagged,
      String made) {}

  /** What one JVM's threads did. */
  static final class Tally {
    final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

    long count(String op, String outcome) {
      return events.stream().filter(e -> e.op().equals(op) && e.outcome().equals(outcome)).count();
    }

    @Override
    public String toString() {
      TreeMap<String, Long> counts = new TreeMap<>();
      events.forEach(e -> counts.merge(e.op() + ":" + e.outcome(), 1L, Long::sum));
      return counts.toString();
    }
  }

  /** An operation in the making: the worker fills in what it aimed at and what it changed. */
  static final class Op {
    final String what;
    final long picked = now();
    String id;
    String name;
    List<String> tags = List.of();
    boolean forced;
    List<String> deleted = List.of();
    List<String> untagged = List.of();
    String made;

    Op(String what) {
      this.what = what;
    }

    /** Picks an image the store lists now (null if none), and records it as the target. */
    ImageId pick(LayerStore store, Random r) throws IOException {
      List<ImageSummary> images = store.images();
      if (images.isEmpty()) {
        return null;
      }
      ImageSummary i = images.get(r.nextInt(images.size()));
      id = i.id().toString();
      tags = i.repoTags();
      return i.id();
    }

    Event event(String jvm, String outcome, String error) {
      return new Event(
          jvm, what, outcome, picked, now(), id, name, tags, forced, error, deleted, untagged,
          made);
    }
  }

  /** What the threads do with an operation; {@link #perform} is the real workload. */
  @FunctionalInterface
  interface Workload {
    /** Carries out {@code op}; returns false when there was nothing to aim at. */
    boolean perform(Op op, LayerStore store, List<Path> archives, Random r) throws IOException;
  }

  /** What a commit operation adds to the image it starts from. */
  static final String COMMITTED_FILE = "committed.txt";

  static final String COMMITTED_CONTENT = "commit\n";

  private static final ObjectMapper JSON = new ObjectMapper();

  private StressWorker() {}

  /**
   * {@code root archivesDir seed threads opsPerThread eventsFile}; writes the events one JSON
   * object a line, prints the tally, exits 1 on failure.
   */
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    List<Path> archives = archives(Path.of(args[1]));
    Tally t =
        run(
            "second",
            root,
            archives,
            Long.parseLong(args[2]),
            Integer.parseInt(args[3]),
            Integer.parseInt(args[4]),
            StressWorker::perform);
    try (BufferedWriter w = Files.newBufferedWriter(Path.of(args[5]))) {
      for (Event e : t.events) {
        w.write(JSON.writeValueAsString(e));
        w.newLine();
      }
    }
    System.out.println("TALLY " + t);
    for (Throwable f : t.failures) {
      f.printStackTrace();
    }
    System.exit(t.failures.isEmpty() ? 0 : 1);
  }

  /** The events {@link #main} wrote. */
  static List<Event> readEvents(Path file) throws IOException {
    List<Event> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JSON.readValue(line, Event.class));
    }
    return out;
  }

  static List<Path> archives(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "img*.tar")) {
      ds.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  static Tally run(
      String jvm,
      Path root,
      List<Path> archives,
      long seed,
      int threads,
      int opsPerThread,
      Workload workload)
      throws Exception {
    Tally tally = new Tally();
    try (LayerStore store = LayerStore.open(root)) {
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> ts = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Random r = new Random(seed * 31 + i);
        Thread th =
            new Thread(
                () -> {
                  try {
                    start.await();
                    for (int k = 0; k < opsPerThread; k++) {
                      tally.events.add(op(jvm, store, archives, r, workload));
                    }
                  } catch (Throwable e) {
                    tally.failures.add(e);
                  }
                },
                jvm + "-stress-" + i);
        ts.add(th);
        th.start();
      }
      start.countDown();
      for (Thread th : ts) {
        th.join();
      }
    }
    return tally;
  }

  private static Event op(
      String jvm, LayerStore store, List<Path> archives, Random r, Workload workload)
      throws IOException {
    int dice = r.nextInt(100);
    Op op =
        new Op(
            dice < 25
                ? "load"
                : dice < 45
                    ? "mount"
                    : dice < 58 ? "tag" : dice < 80 ? "remove" : dice < 95 ? "commit" : "images");
    try {
      return op.event(jvm, workload.perform(op, store, archives, r) ? "done" : "nothing", null);
    } catch (NotFoundException e) {
      return op.event(jvm, "gone", e.getMessage());
    } catch (ConflictException e) {
      return op.event(jvm, "refused", e.getMessage());
    }
  }

  /** The real workload. */
  static boolean perform(Op op, LayerStore store, List<Path> archives, Random r)
      throws IOException {
    switch (op.what) {
      case "load":
        op.id = store.load(archives.get(r.nextInt(archives.size()))).get(0).toString();
        return true;
      case "mount":
        {
          ImageId id = op.pick(store, r);
          if (id == null) {
            return false;
          }
          try (Mount m = store.mount(id)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(m.root())) {
              ds.forEach(p -> {});
            }
            Path etc = m.root().resolve("etc/hostname");
            if (Files.isRegularFile(etc)) {
              Files.readAllBytes(etc);
            }
            sleep(r.nextInt(30));
          }
          return true;
        }
      case "tag":
        {
          ImageId id = op.pick(store, r);
          if (id == null) {
            return false;
          }
          op.name = "alias:" + r.nextInt(4);
          store.tag(id.toString(), op.name);
          return true;
        }
      case "remove":
        {
          ImageId id = op.pick(store, r);
          if (id == null) {
            return false;
          }
          // by one of its names, or by id: each either untags or deletes
          op.name = op.tags.isEmpty() || r.nextInt(3) == 0 ? id.toString() : op.tags.get(0);
          op.forced = r.nextBoolean();
          LayerStore.Removal removal =
              store.remove(
                  op.name, op.forced ? RemoveOptions.defaults().force() : RemoveOptions.defaults());
          op.deleted = removal.deleted().stream().map(ImageId::toString).toList();
          op.untagged = removal.untagged();
          return true;
        }
      case "commit":
        {
          ImageId id = op.pick(store, r);
          if (id == null) {
            return false;
          }
          Container c = store.containers().create(id.toString(), CreateOptions.defaults());
          try {
            try (Mount m = store.containers().mount(c.name())) {
              Files.writeString(m.root().resolve(COMMITTED_FILE), COMMITTED_CONTENT);
            }
            op.made =
                store
                    .containers()
                    .commit(
                        c.name(), CommitOptions.defaults().reference("committed:" + r.nextInt(3)))
                    .toString();
          } finally {
            store.containers().remove(c.name(), RemoveOptions.defaults().force());
          }
          return true;
        }
      default:
        store.images();
        return true;
    }
  }

  private static long now() {
    return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.layerstore.reliability;

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
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One JVM's share of the concurrency stress test: {@code threads} threads doing random load,
 * mount/read/umount, tag, remove, commit (create a container, write a file, commit it, remove the
 * container) and list operations on one shared store. Expected refusals (the image went away
 * meanwhile, is mounted, is tagged twice) are counted; anything else is a failure. Run in the
 * test's own JVM and, as {@link #main}, in a second one.
 */
public final class StressWorker {

  /** Counts of what happened, by operation and outcome. */
  static final class Tally {
    final ConcurrentHashMap<String, AtomicLong> counts = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

    void count(String what) {
      counts.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    long total(String prefix) {
      return counts.entrySet().stream()
          .filter(e -> e.getKey().startsWith(prefix))
          .mapToLong(e -> e.getValue().get())
          .sum();
    }

    @Override
    public String toString() {
      return new java.util.TreeMap<>(counts).toString();
    }
  }

  /** What a commit operation adds to the image it starts from. */
  static final String COMMITTED_FILE = "committed.txt";

  static final String COMMITTED_CONTENT = "commit\n";

  private StressWorker() {}

  /** {@code root archivesDir seed threads opsPerThread}; prints the tally, exits 1 on failure. */
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    List<Path> archives = archives(Path.of(args[1]));
    Tally t =
        run(
            root,
            archives,
            Long.parseLong(args[2]),
            Integer.parseInt(args[3]),
            Integer.parseInt(args[4]));
    System.out.println("TALLY " + t);
    for (Throwable f : t.failures) {
      f.printStackTrace();
    }
    System.exit(t.failures.isEmpty() ? 0 : 1);
  }

  static List<Path> archives(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "img*.tar")) {
      ds.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  static Tally run(Path root, List<Path> archives, long seed, int threads, int opsPerThread)
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
                      op(store, archives, r, tally);
                    }
                  } catch (Throwable e) {
                    tally.failures.add(e);
                  }
                },
                "stress-" + i);
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

  private static void op(LayerStore store, List<Path> archives, Random r, Tally tally)
      throws IOException {
    int dice = r.nextInt(100);
    String what =
        dice < 25
            ? "load"
            : dice < 45
                ? "mount"
                : dice < 58 ? "tag" : dice < 80 ? "remove" : dice < 95 ? "commit" : "images";
    try {
      switch (what) {
        case "load":
          store.load(archives.get(r.nextInt(archives.size())));
          break;
        case "mount":
          {
            ImageId id = pick(store, r);
            if (id == null) {
              tally.count("mount:nothing");
              return;
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
            break;
          }
        case "tag":
          {
            ImageId id = pick(store, r);
            if (id == null) {
              tally.count("tag:nothing");
              return;
            }
            store.tag(id.toString(), "alias:" + r.nextInt(4));
            break;
          }
        case "remove":
          {
            int k = r.nextInt(3);
            String name =
                k == 0 ? "alias:" + r.nextInt(4) : "img" + r.nextInt(archives.size()) + ":1";
            if (k == 2) {
              ImageId id = pick(store, r);
              if (id == null) {
                tally.count("remove:nothing");
                return;
              }
              name = id.toString();
            }
            store.remove(
                name,
                r.nextBoolean() ? RemoveOptions.defaults().force() : RemoveOptions.defaults());
            break;
          }
        case "commit":
          {
            ImageId id = pick(store, r);
            if (id == null) {
              tally.count("commit:nothing");
              return;
            }
            Container c = store.containers().create(id.toString(), CreateOptions.defaults());
            try {
              try (Mount m = store.containers().mount(c.name())) {
                Files.writeString(m.root().resolve(COMMITTED_FILE), COMMITTED_CONTENT);
              }
              store
                  .containers()
                  .commit(
                      c.name(), CommitOptions.defaults().reference("committed:" + r.nextInt(3)));
            } finally {
              store.containers().remove(c.name(), RemoveOptions.defaults().force());
            }
            break;
          }
        default:
          store.images();
      }
      tally.count(what + ":done");
    } catch (NotFoundException e) {
      tally.count(what + ":gone");
    } catch (ConflictException e) {
      tally.count(what + ":refused");
    }
  }

  private static ImageId pick(LayerStore store, Random r) throws IOException {
    List<ImageSummary> images = store.images();
    return images.isEmpty() ? null : images.get(r.nextInt(images.size())).id();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.layerstore.union;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerstore.archive.OverlayWhiteouts;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several threads writing at once. A lost write here means a file was copied up twice (the second
 * copy replacing the first with the lower content) or a lookup saw a half-done change.
 */
class UnionConcurrencyTest {

  private static final int THREADS = 8;
  private static final int ROUNDS = 40;

  private JimfsLayers layers;
  private FileSystem union;
  private ExecutorService pool;

  @BeforeEach
  void setUp() throws IOException {
    layers = new JimfsLayers(new OverlayWhiteouts());
    LayerWriter base = layers.writer("base");
    for (int i = 0; i < THREADS; i++) {
      base.file("data/own-" + i, "start\n");
    }
    base.file("data/shared", "start\n").settle();
    Tree upper = layers.tree("rw");
    union = layers.writable(upper, List.of(base.tree()));
    pool = Executors.newFixedThreadPool(THREADS);
  }

  @AfterEach
  void tearDown() throws Exception {
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    union.close();
    layers.close();
  }

  private void runAll(List<Callable<Void>> tasks) throws Exception {
    List<Future<Void>> futures = new ArrayList<>();
    for (Callable<Void> task : tasks) {
      futures.add(pool.submit(task));
    }
    for (Future<Void> future : futures) {
      future.get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void appendsToOneLowerFileFromManyThreadsAreAllKept() throws Exception {
    Path shared = union.getPath("/data/shared");
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      tasks.add(
          () -> {
            for (int i = 0; i < ROUNDS; i++) {
              Files.writeString(shared, thread + ":" + i + "\n", StandardOpenOption.APPEND);
            }
            return null;
          });
    }
    runAll(tasks);
    List<String> lines = Files.readAllLines(shared);
    assertEquals(1 + THREADS * ROUNDS, lines.size());
    assertEquals("start", lines.get(0));
  }

  @Test
  void differentFilesChangeIndependently() throws Exception {
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      tasks.add(
          () -> {
            Path own = union.getPath("/data/own-" + thread);
            for (int i = 0; i < ROUNDS; i++) {
              Files.writeString(own, i + "\n", StandardOpenOption.APPEND);
              Path created = union.getPath("/data/new-" + thread + "-" + i);
              Files.writeString(created, "x");
              if (i % 2 == 0) {
                Files.delete(created);
              }
              Files.setAttribute(own, "unix:uid", 1000 + i);
            }
            return null;
          });
    }
    runAll(tasks);
    for (int t = 0; t < THREADS; t++) {
      Path own = union.getPath("/data/own-" + t);
      assertEquals(1 + ROUNDS, Files.readAllLines(own).size());
      assertEquals(1000 + ROUNDS - 1, Files.getAttribute(own, "unix:uid"));
    }
    try (var entries = Files.list(union.getPath("/data"))) {
      assertEquals(THREADS + 1 + THREADS * ROUNDS / 2, entries.count());
    }
  }
}

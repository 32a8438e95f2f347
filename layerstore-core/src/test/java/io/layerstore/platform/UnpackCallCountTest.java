package io.layerstore.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerstore.archive.OverlayWhiteouts;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.archive.Unpacker;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guards the load path's cost per file: loading a layer of many small files must not make more file
 * system calls per file than it does today. The calls are counted through the platform seam (every
 * node the unpacker makes or changes goes through its {@link Tree}), on the native tree, whose
 * calls are the kernel's: {@code writeFile} is open, write, futimens, close (as GNU tar makes a
 * file); each other method is one system call. A change that adds a call per file (an lstat to
 * check, a chmod that changes nothing, a second utimensat) changes these counts and fails here; no
 * timing is involved.
 */
class UnpackCallCountTest {
  private static final int DIRS = 10;
  private static final int FILES_PER_DIR = 100;
  private static final int FOREIGN = 10;
  private static final Instant MTIME = Instant.ofEpochSecond(1_700_000_000L);

  @TempDir Path tmp;

  /** A tree that counts each call by method name, from any thread, and passes it on. */
  static final class CountingTree implements Tree {
    private final Tree inner;
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

    CountingTree(Tree inner) {
      this.inner = inner;
    }

    /** One call through the tree. */
    interface Call<T> {
      T run() throws IOException;
    }

    /** One call that returns nothing. */
    interface VoidCall {
      void run() throws IOException;
    }

    private <T> T counted(String method, Call<T> call) throws IOException {
      calls.computeIfAbsent(method, k -> new LongAdder()).increment();
      return call.run();
    }

    private void countedVoid(String method, VoidCall call) throws IOException {
      counted(
          method,
          () -> {
            call.run();
            return null;
          });
    }

    /** Calls per method, in name order. */
    Map<String, Long> counts() {
      Map<String, Long> out = new TreeMap<>();
      calls.forEach((k, v) -> out.put(k, v.sum()));
      return out;
    }

    long total() {
      return counts().values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public Path root() {
      return inner.root();
    }

    @Override
    public boolean isEmulated() {
      return inner.isEmulated();
    }

    @Override
    public NodeStat stat(Path path) throws IOException {
      return counted("stat", () -> inner.stat(path));
    }

    @Override
    public NodeStat statIfExists(Path path) throws IOException {
      return counted("statIfExists", () -> inner.statIfExists(path));
    }

    @Override
    public OutputStream newFile(Path path) throws IOException {
      return counted("newFile", () -> inner.newFile(path));
    }

    @Override
    public void writeFile(Path path, byte[] content, FileTime mtime) throws IOException {
      countedVoid("writeFile", () -> inner.writeFile(path, content, mtime));
    }

    @Override
    public void createDirectory(Path path) throws IOException {
      countedVoid("createDirectory", () -> inner.createDirectory(path));
    }

    @Override
    public void createSymlink(Path path, String target) throws IOException {
      countedVoid("createSymlink", () -> inner.createSymlink(path, target));
    }

    @Override
    public void createLink(Path path, Path existing) throws IOException {
      countedVoid("createLink", () -> inner.createLink(path, existing));
    }

    @Override
    public void makeNode(Path path, NodeKind kind, int mode, int major, int minor)
        throws IOException {
      countedVoid("makeNode", () -> inner.makeNode(path, kind, mode, major, minor));
    }

    @Override
    public void setOwner(Path path, long uid, long gid) throws IOException {
      countedVoid("setOwner", () -> inner.setOwner(path, uid, gid));
    }

    @Override
    public void setMode(Path path, int mode) throws IOException {
      countedVoid("setMode", () -> inner.setMode(path, mode));
    }

    @Override
    public void setMtime(Path path, FileTime mtime) throws IOException {
      countedVoid("setMtime", () -> inner.setMtime(path, mtime));
    }

    @Override
    public Map<String, byte[]> xattrs(Path path) throws IOException {
      return counted("xattrs", () -> inner.xattrs(path));
    }

    @Override
    public byte[] getXattr(Path path, String name) throws IOException {
      return counted("getXattr", () -> inner.getXattr(path, name));
    }

    @Override
    public void setXattr(Path path, String name, byte[] value) throws IOException {
      countedVoid("setXattr", () -> inner.setXattr(path, name, value));
    }

    @Override
    public void removeXattr(Path path, String name) throws IOException {
      countedVoid("removeXattr", () -> inner.removeXattr(path, name));
    }

    @Override
    public void delete(Path path) throws IOException {
      countedVoid("delete", () -> inner.delete(path));
    }

    @Override
    public void move(Path from, Path to) throws IOException {
      countedVoid("move", () -> inner.move(from, to));
    }

    @Override
    public void flush() throws IOException {
      countedVoid("flush", () -> inner.flush());
    }

    @Override
    public Creation creation(Path dir) throws IOException {
      return counted("creation", () -> inner.creation(dir));
    }
  }

  private static byte[] content(int d, int f) {
    int size = 200 + (d * 131 + f * 37) % 3900; // 0.2 to 4 KB, like a node_modules tree
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + (i + d + f) % 26);
    }
    return b;
  }

  /** Whether file {@code f} of directory {@code d} belongs to someone else, mode 0600. */
  private static boolean foreign(int d, int f) {
    return d == 0 && f < FOREIGN;
  }

  /**
   * @param writers 0: every file on the unpacker's thread; else that many parallel writers (as a
   *     load does) — the counts must not differ
   */
  @ParameterizedTest(name = "writers={0}")
  @ValueSource(ints = {0, 2})
  void aSmallFileCostsOneCreateAndOneTimeAndNothingElse(int writers) throws IOException {
    Path diff = tmp.resolve("diff");
    Files.createDirectory(diff);
    CountingTree tree = new CountingTree(PlatformAssumptions.nativePlatform(tmp).tree(diff, null));

    try (Unpacker u =
        new Unpacker(tree, new OverlayWhiteouts(), "small-files.tar", UnpackOptions.DEFAULTS)) {
      if (writers > 0) {
        u.writeFilesInParallel(writers);
      }
      for (int d = 0; d < DIRS; d++) {
        String dir = String.format("pkg%02d/", d);
        u.apply(TarHeader.builder(dir, TarHeader.DIRECTORY).mode(0755).mtime(MTIME).build(), null);
        for (int f = 0; f < FILES_PER_DIR; f++) {
          byte[] data = content(d, f);
          boolean foreign = foreign(d, f);
          TarHeader h =
              TarHeader.builder(dir + String.format("f%03d.js", f), TarHeader.REGULAR)
                  .mode(foreign ? 0600 : 0644)
                  .uid(foreign ? 1000 : 0)
                  .gid(foreign ? 1000 : 0)
                  .size(data.length)
                  .mtime(MTIME)
                  .build();
          u.apply(h, new ByteArrayInputStream(data));
        }
      }
      u.finish();
    }

    int files = DIRS * FILES_PER_DIR;
    Map<String, Long> expected = new TreeMap<>();
    expected.put("creation", 1L); // once per layer: may chown and chmod be skipped?
    expected.put("createDirectory", (long) DIRS);
    expected.put("writeFile", (long) files); // content and mtime: four system calls
    expected.put("setMtime", (long) DIRS); // directories' at finish, after their files
    expected.put("setOwner", (long) FOREIGN); // only where creation gave the wrong owner
    expected.put("setMode", (long) FOREIGN); // ... or the wrong mode
    expected.put("flush", 1L);
    assertEquals(expected, tree.counts(), "calls through the tree for " + files + " files");
    double perFile = (double) (tree.total() - 2 - 2 * DIRS - 2 * FOREIGN) / files;
    assertEquals(1.0, perFile, "calls per root-owned regular file");

    // and the files are what the headers say, so the counts are not those of a no-op
    NodeStat plain = tree.stat(diff.resolve("pkg07/f042.js"));
    assertEquals(0644, plain.mode());
    assertEquals(0, plain.uid());
    assertEquals(MTIME, plain.mtime().toInstant());
    assertArrayEquals(content(7, 42), Files.readAllBytes(diff.resolve("pkg07/f042.js")));
    NodeStat odd = tree.stat(diff.resolve("pkg00/f003.js"));
    assertEquals(0600, odd.mode());
    assertEquals(1000, odd.uid());
    assertEquals(1000, odd.gid());
    assertEquals(MTIME, tree.stat(diff.resolve("pkg09")).mtime().toInstant());
    try (var s = Files.list(diff.resolve("pkg09"))) {
      assertEquals(FILES_PER_DIR, s.count());
    }
  }
}

package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelGzipTest {

  private static ExecutorService pool;

  @BeforeAll
  static void start() {
    pool = Executors.newFixedThreadPool(8);
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  /** Text-like data: compressible, with repeats that reach across block boundaries. */
  private static byte[] sample(int size, long seed) {
    Random r = new Random(seed);
    String[] words = {"layer", "store", "overlay", "whiteout", "/usr/lib/", "\n", " ", "sha256:"};
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    while (out.size() < size) {
      if (r.nextInt(10) == 0) {
        out.write(r.nextInt(256));
      } else {
        out.writeBytes(words[r.nextInt(words.length)].getBytes());
      }
    }
    byte[] all = out.toByteArray();
    byte[] exact = new byte[size];
    System.arraycopy(all, 0, exact, 0, size);
    return exact;
  }

  private static byte[] gzip(byte[] data, int threads, int chunk) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzip gz = new ParallelGzip(out, pool, threads)) {
      for (int off = 0; off < data.length; off += chunk) {
        gz.write(data, off, Math.min(chunk, data.length - off));
        gz.flush(); // must not change the output
      }
    }
    return out.toByteArray();
  }

  private static byte[] gunzip(byte[] gz) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  @Test
  void sameBytesForAnyThreadCountAndAnyWriteSizes() throws IOException {
    int[] sizes = {
      0,
      1,
      ParallelGzip.WINDOW,
      ParallelGzip.BLOCK - 1,
      ParallelGzip.BLOCK,
      ParallelGzip.BLOCK + 1,
      3 * ParallelGzip.BLOCK,
      1_500_000
    };
    for (int size : sizes) {
      byte[] data = sample(size, size);
      byte[] reference = gzip(data, 1, 1 << 20);
      for (int threads : new int[] {2, 3, 8}) {
        for (int chunk : new int[] {1000, 4096, ParallelGzip.BLOCK, 777_777}) {
          assertArrayEquals(
              reference,
              gzip(data, threads, chunk),
              "size " + size + ", " + threads + " threads, writes of " + chunk);
        }
      }
      assertArrayEquals(data, gunzip(reference), "round trip of " + size + " bytes");
    }
  }

  @Test
  void headerIsGosAndTrailerCountsTheInput() throws IOException {
    byte[] data = sample(300_000, 7);
    byte[] gz = gzip(data, 4, 10_000);
    // Go's header at BestSpeed, the default level: XFL 4.
    assertArrayEquals(
        new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 4, (byte) 0xff},
        java.util.Arrays.copyOf(gz, 10));
    int n = gz.length;
    long isize =
        (gz[n - 4] & 0xffL)
            | (gz[n - 3] & 0xffL) << 8
            | (gz[n - 2] & 0xffL) << 16
            | (gz[n - 1] & 0xffL) << 24;
    assertEquals(data.length, isize);
    // The preset dictionaries keep the ratio near one stream's: within 2 % of plain deflate.
    ByteArrayOutputStream plain = new ByteArrayOutputStream();
    java.util.zip.Deflater d = new java.util.zip.Deflater(ParallelGzip.DEFAULT_LEVEL, true);
    try (java.util.zip.DeflaterOutputStream o = new java.util.zip.DeflaterOutputStream(plain, d)) {
      o.write(data);
    }
    d.end();
    assertTrue(
        gz.length < plain.size() * 1.02 + 18,
        "parallel " + gz.length + " bytes vs one stream " + plain.size());
  }

  @Test
  void otherLevelsAreDeterministicSmallerAndMarkedAsGoMarksThem() throws IOException {
    byte[] data = sample(600_000, 11);
    byte[] fast = gzip(data, 2, 7_000);
    byte[] six = gzipAt(data, 6, 1);
    byte[] nine = gzipAt(data, 9, 3);
    assertArrayEquals(six, gzipAt(data, 6, 4), "level 6 must not depend on the thread count");
    assertArrayEquals(data, gunzip(six));
    assertArrayEquals(data, gunzip(nine));
    assertTrue(six.length < fast.length, six.length + " bytes at 6 vs " + fast.length + " at 1");
    assertEquals(0, six[8], "XFL at level 6");
    assertEquals(2, nine[8], "XFL at level 9");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ParallelGzip(new ByteArrayOutputStream(), pool, 1, 10));
    assertTrue(e.getMessage().contains("10"), e.getMessage());
  }

  private static byte[] gzipAt(byte[] data, int level, int threads) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzip gz = new ParallelGzip(out, pool, threads, level)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  @Test
  void gzipDecompressesIt(@TempDir Path dir) throws Exception {
    Path gzipTool =
        Files.isExecutable(Path.of("/bin/gzip"))
            ? TestPlatform.tool("/bin/gzip")
            : TestPlatform.tool("/usr/bin/gzip");
    byte[] data = sample(1_000_000, 42);
    Path file = dir.resolve("layer.tar.gz");
    Files.write(file, gzip(data, 2, 65536));
    Process p =
        new ProcessBuilder(gzipTool.toString(), "-d", "-c", file.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), "gzip -d exit status");
    assertArrayEquals(data, out);
    Process t = new ProcessBuilder(gzipTool.toString(), "-t", file.toString()).start();
    assertEquals(0, t.waitFor(), "gzip -t exit status");
  }
}

package io.layerstore.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throughput of one pass over a 200 MB plain layer (sha256, tar-split, CRC-64, content into a null
 * sink), next to {@code tar -x} plus {@code sha256sum} of the same file. Run with {@code
 * -Dtest=LayerReaderBenchmark -Dlayerstore.bench=true}.
 */
@EnabledIfSystemProperty(named = "layerstore.bench", matches = "true")
class LayerReaderBenchmark {

  private static final Logger log = LoggerFactory.getLogger(LayerReaderBenchmark.class);

  @Test
  void onePassOver200Megabytes(@TempDir Path tmp) throws Exception {
    Path tar = tmp.resolve("layer.tar");
    Random random = new Random(42);
    byte[] big = new byte[1 << 20];
    try (TarWriter w = new TarWriter(Files.newOutputStream(tar))) {
      for (int i = 0; i < 180; i++) {
        random.nextBytes(big);
        w.putNextEntry(
            TarHeader.builder("big/" + i + ".bin", TarHeader.REGULAR)
                .mode(0100644)
                .size(big.length)
                .mtime(Instant.EPOCH)
                .build());
        w.write(big, 0, big.length);
      }
      byte[] small = new byte[4000];
      for (int i = 0; i < 5000; i++) {
        random.nextBytes(small);
        w.putNextEntry(
            TarHeader.builder("small/" + i, TarHeader.REGULAR)
                .mode(0100644)
                .size(small.length)
                .mtime(Instant.EPOCH)
                .build());
        w.write(small, 0, small.length);
      }
    }
    long size = Files.size(tar);
    for (int round = 0; round < 4; round++) {
      long t0 = System.nanoTime();
      LayerReader.Result r;
      try (LayerReader lr =
          new LayerReader(
              Files.newInputStream(tar),
              "bench",
              OutputStream.nullOutputStream(),
              LayerReader.UNLIMITED)) {
        for (TarHeader h = lr.next(); h != null; h = lr.next()) {
          try (InputStream in = lr.content()) {
            in.transferTo(OutputStream.nullOutputStream());
          }
        }
        r = lr.finish();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      log.info(
          "LayerReader round {}: {} MB in {} s = {} MB/s ({})",
          round,
          size / 1_000_000,
          String.format("%.3f", secs),
          String.format("%.0f", size / 1e6 / secs),
          r.diffId());
    }
    exec("sh", "-c", "gzip -1 -k " + tar);
    Path gz = tmp.resolve("layer.tar.gz");
    for (int round = 0; round < 2; round++) {
      long t0 = System.nanoTime();
      try (LayerReader lr =
          new LayerReader(
              Compression.decompress(Files.newInputStream(gz), "bench.gz"),
              "bench.gz",
              OutputStream.nullOutputStream(),
              LayerReader.UNLIMITED)) {
        for (TarHeader h = lr.next(); h != null; h = lr.next()) {
          try (InputStream in = lr.content()) {
            in.transferTo(OutputStream.nullOutputStream());
          }
        }
        lr.finish();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      log.info(
          "LayerReader over gzip round {}: {} s = {} MB/s (uncompressed)",
          round,
          String.format("%.3f", secs),
          String.format("%.0f", size / 1e6 / secs));
    }
    long tz = System.nanoTime();
    exec("sh", "-c", "zcat " + gz + " | sha256sum >/dev/null");
    double zsecs = (System.nanoTime() - tz) / 1e9;
    log.info(
        "zcat | sha256sum: {} s = {} MB/s",
        String.format("%.3f", zsecs),
        String.format("%.0f", size / 1e6 / zsecs));
    Path out = Files.createDirectories(tmp.resolve("x"));
    long t0 = System.nanoTime();
    exec("sh", "-c", "tar -xf " + tar + " -C " + out + " && sha256sum " + tar + " >/dev/null");
    double secs = (System.nanoTime() - t0) / 1e9;
    log.info(
        "tar -x + sha256sum: {} s = {} MB/s",
        String.format("%.3f", secs),
        String.format("%.0f", size / 1e6 / secs));
    t0 = System.nanoTime();
    exec("sha256sum", tar.toString());
    secs = (System.nanoTime() - t0) / 1e9;
    log.info(
        "sha256sum alone: {} s = {} MB/s",
        String.format("%.3f", secs),
        String.format("%.0f", size / 1e6 / secs));
  }

  private static void exec(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().transferTo(OutputStream.nullOutputStream());
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed");
    }
  }
}

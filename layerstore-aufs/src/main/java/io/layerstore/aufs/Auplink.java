package io.layerstore.aufs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code auplink <mount point> flush}, which Docker runs before every aufs unmount: it turns the
 * pseudo-links aufs keeps under {@code .wh..wh.plnk/} (a copied-up file that has hard links below)
 * into real hard links in the writable branch, so the branch holds them after the unmount. Like
 * Docker, it is retried while it exits with 22 (EINVAL), and any other failure is only logged.
 */
final class Auplink {
  private static final Logger LOG = LoggerFactory.getLogger(Auplink.class);
  private static final int RETRIES = 5;
  private static final int EINVAL = 22;

  private final Path program;

  /**
   * @param program the auplink executable, or null where there is none (aufs-tools not installed)
   */
  Auplink(Path program) {
    this.program = program;
  }

  /** The program named by the driver option, or found on the PATH; null for none. */
  static Auplink find(String option) {
    if (option != null) {
      return new Auplink(option.isEmpty() || option.equals("none") ? null : Path.of(option));
    }
    String path = System.getenv("PATH");
    String dirs = (path == null ? "" : path + ":") + "/usr/sbin:/sbin:/usr/bin";
    for (String dir : dirs.split(":")) {
      if (!dir.isEmpty()) {
        Path p = Path.of(dir, "auplink");
        if (Files.isExecutable(p)) {
          return new Auplink(p);
        }
      }
    }
    return new Auplink(null);
  }

  Path program() {
    return program;
  }

  void flush(Path mountPoint) {
    if (program == null) {
      LOG.debug("no auplink program; not flushing pseudo-links of {}", mountPoint);
      return;
    }
    for (int i = 0; ; i++) {
      int rc;
      String out;
      try {
        Process p =
            new ProcessBuilder(program.toString(), mountPoint.toString(), "flush")
                .redirectErrorStream(true)
                .start();
        out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          LOG.warn("auplink {} flush did not finish in 60 s", mountPoint);
          return;
        }
        rc = p.exitValue();
      } catch (IOException e) {
        LOG.warn("auplink {} flush could not run: {}", mountPoint, e.toString());
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (rc == 0) {
        return;
      }
      if (rc == EINVAL && i < RETRIES) {
        LOG.debug("auplink {} flush exited with EINVAL; retrying", mountPoint);
        continue;
      }
      LOG.warn("auplink {} flush failed with exit status {}: {}", mountPoint, rc, out.strip());
      return;
    }
  }
}

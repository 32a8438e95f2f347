package io.layerstore.cli;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The command line run in the test's JVM ({@link Main#run}) on one store, its output captured. */
final class InProcessCli {

  /** A command's exit status, stdout (bytes: an archive may go there) and stderr. */
  record Result(int status, byte[] stdout, String err) {
    /** Stdout as text. */
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  private InProcessCli() {}

  /** Runs {@code layerstore --root ROOT ARGS...} with {@code in} as its stdin. */
  static Result run(Path root, InputStream in, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 2];
    all[0] = "--root";
    all[1] = root.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    int status =
        new Main(
                in,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))
            .run(all);
    return new Result(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  /** Runs it with an empty stdin. */
  static Result run(Path root, String... args) {
    return run(root, InputStream.nullInputStream(), args);
  }
}

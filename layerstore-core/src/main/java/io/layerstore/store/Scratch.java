package io.layerstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A file or directory of the store's {@code layerstore/tmp/} that lives as long as one operation: a
 * streamed {@code docker save} archive spooled to a file, because the archive is read with seeks
 * (as dockerd spools a {@code docker load} from stdin under its data-root); the compressed layers
 * of an OCI layout written to a stream. It sits on the store's file system, where the layers go,
 * not in a {@code /tmp} that may be a small tmpfs.
 *
 * <p>Each is claimed ({@link StoreLocks#claim}) while it exists, so the scratch of a killed process
 * is told from live work by its unheld claim: {@link #leftovers} lists those, which recovery
 * removes when the store opens and fsck reports.
 */
public final class Scratch implements Closeable {

  /** Names of scratch entries: {@code scratch-<hex>} and, for a file, a suffix. */
  static final String PREFIX = "scratch-";

  private final Path path;
  private final StoreLocks.Held claim;

  private Scratch(Path path, StoreLocks.Held claim) {
    this.path = path;
    this.claim = claim;
  }

  /**
   * Copies {@code in}, to its end, into a new scratch file.
   *
   * @param suffix the file name's end, e.g. {@code .tar}
   * @throws IOException if {@code in} fails or the file cannot be written; nothing stays behind
   */
  public static Scratch copyOf(InputStream in, String suffix, StoreContext store)
      throws IOException {
    Scratch s = create(PREFIX + store.files().randomHex(8) + suffix, store);
    try {
      Files.copy(in, s.path);
      return s;
    } catch (IOException | RuntimeException | Error e) {
      s.closeAfter(e);
      throw e;
    }
  }

  /** A new empty scratch directory. */
  public static Scratch directory(StoreContext store) throws IOException {
    Scratch s = create(PREFIX + store.files().randomHex(8) + ".d", store);
    try {
      Files.createDirectory(s.path);
      return s;
    } catch (IOException | RuntimeException | Error e) {
      s.closeAfter(e);
      throw e;
    }
  }

  /** Claims {@code name} in the scratch directory, which the store made when it opened. */
  private static Scratch create(String name, StoreContext store) throws IOException {
    StoreLocks.Held claim = store.locks().claim(claimName(name));
    return new Scratch(store.layout().scratchDir().resolve(name), claim);
  }

  /** The scratch file or directory. */
  public Path path() {
    return path;
  }

  /** Deletes the scratch entry, then drops its claim. */
  @Override
  public void close() throws IOException {
    try {
      deleteTree(path);
    } finally {
      claim.close();
    }
  }

  private void closeAfter(Throwable failure) {
    try {
      close();
    } catch (IOException suppressed) {
      failure.addSuppressed(suppressed);
    }
  }

  /**
   * The claim that marks the entry {@code name} as live: named after it without its suffix, as lock
   * names are letters, digits and dashes.
   */
  static String claimName(String name) {
    int dot = name.indexOf('.');
    return "claim-" + (dot < 0 ? name : name.substring(0, dot));
  }

  /** Scratch entries whose process is gone (their claim is unheld). */
  static List<Path> leftovers(StoreLayout layout, StoreLocks locks) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.scratchDir(), PREFIX + "*")) {
      for (Path p : ds) {
        if (!locks.isClaimed(claimName(p.getFileName().toString()))) {
          out.add(p);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      // no scratch was ever made here
    }
    return out;
  }

  /** Removes a leftover found by {@link #leftovers}, and its claim's lock file. */
  static void removeLeftover(Path p, StoreLocks locks) throws IOException {
    deleteTree(p);
    locks.forget(claimName(p.getFileName().toString()));
  }

  /**
   * Deletes a scratch file, or a directory of plain files and directories (a scratch entry, a
   * save's temp directory), if it is there.
   */
  static void deleteTree(Path p) throws IOException {
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(p);
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}

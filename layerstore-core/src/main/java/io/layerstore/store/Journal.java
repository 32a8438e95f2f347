package io.layerstore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Owner of {@code layerstore/journal/}: the store changes being applied right now.
 *
 * <pre>
 * layerstore/journal/                      0700
 *   &lt;time&gt;-&lt;random&gt;.json      one {@link Transaction}, written atomically and fsynced
 *   .tmp-*                                 a write interrupted by a crash (never a change)
 * </pre>
 *
 * <p>An entry exists only while its writer holds the store lock: it is recorded, applied and
 * removed under that lock. So whoever holds the store lock and finds an entry knows its writer
 * died, and applies it again. A process that only reads waits for the store lock when it sees an
 * entry, and so never sees a change half done.
 */
public final class Journal {

  private static final String SUFFIX = ".json";

  private final Path dir;
  private final AtomicFiles files;
  private final ObjectMapper json;

  public Journal(Path dir, AtomicFiles files, ObjectMapper json) {
    this.dir = dir;
    this.files = files;
    this.json = json;
  }

  /** One recorded change. */
  public record Entry(Path file, Transaction transaction) {}

  /** Records {@code transaction} durably; caller holds the store lock. */
  Entry record(Transaction transaction) throws IOException {
    AtomicFiles.ensureDirectory(dir, 0700);
    // names sort by time, so changes left by dead processes are applied in the order made
    Path file =
        dir.resolve(
            String.format(
                "%019d-%s%s", System.nanoTime() & Long.MAX_VALUE, files.randomHex(8), SUFFIX));
    files.write(file, transaction.toJson(json), 0600);
    return new Entry(file, transaction);
  }

  /** Forgets an applied change (durably: a crash after this never applies it again). */
  void done(Entry entry) throws IOException {
    Files.deleteIfExists(entry.file());
    files.syncDir(dir);
  }

  /** Whether any change is recorded (a cheap look, for readers). */
  public boolean hasPending() throws IOException {
    return !entryFiles().isEmpty();
  }

  /** The recorded changes, oldest first. A file that is not a change is an error naming it. */
  List<Entry> pending() throws IOException {
    List<Entry> out = new ArrayList<>();
    List<Path> paths = entryFiles();
    paths.sort(null);
    for (Path p : paths) {
      try {
        out.add(new Entry(p, Transaction.fromJson(json.readTree(Files.readAllBytes(p)))));
      } catch (IOException | IllegalArgumentException e) {
        throw new LayerStoreException(
            p
                + ": unreadable store journal entry ("
                + e.getMessage()
                + "); the store cannot tell whether this change was made. Run fsck --repair to drop it",
            e);
      }
    }
    return out;
  }

  /**
   * The files of recorded changes, unsorted. No isDirectory first: the open tells a missing
   * journal, and every mount looks here, so that is one system call fewer on each.
   */
  private List<Path> entryFiles() throws IOException {
    List<Path> paths = new ArrayList<>();
    // a filter, not the glob "*.json", which the JDK compiles into a regular expression each time
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(dir, p -> p.getFileName().toString().endsWith(SUFFIX))) {
      ds.forEach(paths::add);
    } catch (NoSuchFileException | NotDirectoryException e) {
      // no journal yet (or not one we made): nothing recorded, as before it exists
    }
    return paths;
  }

  /** Entries that cannot be read, and temp files of interrupted writes (for fsck and recovery). */
  List<Path> leftovers() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (!p.getFileName().toString().endsWith(SUFFIX)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  Path dir() {
    return dir;
  }
}

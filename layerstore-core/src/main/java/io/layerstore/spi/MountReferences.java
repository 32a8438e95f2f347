package io.layerstore.spi;

import io.layerstore.platform.FileLocks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reference counts of mounts that outlive a process, shared by every thread and every process using
 * one store, as containers/storage's {@code mountcount} in {@code layers.json}.
 *
 * <p>A kernel mount outlives the process that made it (the CLI's {@code mount} command exits and
 * leaves it up), so the counts live in a file, {@code <dir>/<id>.count}, changed only under an
 * exclusive lock on {@code <dir>/<id>.lock}, a {@link FileLocks} lock (threads of this process
 * serialize on an in-memory lock first, since file locks are per process). The file says who holds
 * the references, one line each:
 *
 * <ul>
 *   <li>{@code left <n>}: references left behind on purpose ({@link
 *       io.layerstore.Mount#leaveMounted leaveMounted}, {@code layerstore mount}); each {@link
 *       #releaseLeft} gives one back;
 *   <li>{@code <pid>@<start> <n>}: references a live process holds through open handles ({@link
 *       ProcessHolder}); they die with the process, so a process killed while it held a mount is
 *       found out ({@link #reclaim}) and its references dropped instead of keeping the mount
 *       forever.
 * </ul>
 *
 * <p>Empty lines hold nothing, and neither does an empty file or none: the last release of a kernel
 * mount blanks the file rather than removing it ({@link Held#write}), and {@link #reclaim} removes
 * it once the mount is gone. The mount goes when the total reaches 0. A count whose mount is no
 * longer up (after a reboot or an outside umount) is treated as 0, the way Docker's RefCounter
 * starts from what the mount table says. A file holding just a number (the earlier format) counts
 * as that many left references.
 */
final class MountReferences {

  private static final String LEFT = "left";
  private static final String SUFFIX = ".count";

  /** What to do when the first reference is taken or the last one dropped. */
  public interface Action {
    void run() throws IOException;
  }

  /** Takes down the mount of an id. */
  public interface Unmounter {
    void unmount(String id) throws IOException;
  }

  /** Tells whether the mount for an id is really up. */
  public interface MountCheck {
    boolean isMounted(String id) throws IOException;
  }

  private final Path dir;
  private final MountCheck check;
  private final boolean inPlace;

  /** Counts written in place stay below this, one page (see {@link Held#write}). */
  private static final int IN_PLACE_MAX = 4096;

  private final FileLocks locks;
  private final String self;

  /**
   * @param dir where the counts and their locks are
   * @param check whether an id's mount is up
   * @param inPlace whether counts are written over their file in place, and it stays when they
   *     reach 0 ({@link Held#write}): for kernel mounts, which a reboot ends and whose files {@link
   *     #reclaim} removes on every open
   */
  MountReferences(Path dir, MountCheck check, boolean inPlace) throws IOException {
    this.dir = dir;
    this.check = check;
    this.inPlace = inPlace;
    // the lock files here are never deleted (only the counts are), so they may stay open
    this.locks = new FileLocks(dir, "the mount references in " + dir, id -> true);
    this.self = ProcessHolder.current().toString();
  }

  /**
   * Takes a reference on {@code id} for this process, running {@code mount} if it is the first.
   * Returns the count.
   */
  int acquire(String id, Action mount) throws IOException {
    return take(id, self, mount);
  }

  /**
   * Adds a reference left behind on {@code id}, which is up already (a copy just made). Returns the
   * count.
   */
  int addLeft(String id) throws IOException {
    return take(id, LEFT, () -> {});
  }

  /** One more reference for {@code holder}, mounting first if the mount is not up. */
  private int take(String id, String holder, Action mount) throws IOException {
    try (Held h = lock(id)) {
      Holds holds = h.read();
      if (!check.isMounted(id)) {
        holds
            .clear(); // counts that outlived their mount (a reboot, an outside umount) hold nothing
        mount.run();
      }
      holds.add(holder, 1);
      h.write(holds);
      return holds.total();
    }
  }

  /** Turns one of this process's references on {@code id} into one left behind. */
  void handOver(String id) throws IOException {
    try (Held h = lock(id)) {
      Holds holds = h.read();
      holds.add(self, -1);
      holds.add(LEFT, 1);
      h.write(holds);
    }
  }

  /**
   * Drops one of this process's references on {@code id}, running {@code unmount} when none is
   * left. Returns the count.
   */
  int release(String id, Action unmount) throws IOException {
    return drop(id, self, unmount).orElse(0);
  }

  /**
   * Gives back one reference left behind on {@code id}, running {@code unmount} when none is left.
   *
   * @return the count left, or empty if no reference was left behind (nothing was changed)
   */
  Optional<Integer> releaseLeft(String id, Action unmount) throws IOException {
    return drop(id, LEFT, unmount);
  }

  /** Drops every reference on {@code id}, whoever took them, and unmounts. */
  void releaseAll(String id, Action unmount) throws IOException {
    try (Held h = lock(id)) {
      if (check.isMounted(id)) {
        unmount.run();
      }
      h.delete();
    }
  }

  /**
   * Drops the references of processes that have died. When none is left, the mount no live process
   * holds is abandoned: with {@code apply} it is unmounted and its count removed.
   *
   * @return the ids whose mounts are up and abandoned, in order (a count whose mount is gone is
   *     only dropped, with {@code apply})
   */
  List<String> reclaim(boolean apply, Unmounter unmount) throws IOException {
    List<String> abandoned = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return abandoned;
    }
    List<String> ids = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        ids.add(name.substring(0, name.length() - SUFFIX.length()));
      }
    }
    ids.sort(null);
    for (String id : ids) {
      try (Held h = lock(id)) {
        Holds holds = h.read();
        boolean died = holds.dropDead();
        if (!check.isMounted(id)) {
          if (apply) {
            h.delete(); // a count outlived by its mount (a reboot, an outside umount): stale
          }
          continue;
        }
        if (holds.total() > 0) {
          if (died && apply) {
            h.write(holds);
          }
          continue;
        }
        abandoned.add(id);
        if (apply) {
          unmount.unmount(id);
          h.delete();
        }
      }
    }
    return abandoned;
  }

  private Optional<Integer> drop(String id, String holder, Action unmount) throws IOException {
    try (Held h = lock(id)) {
      Holds holds = h.read();
      if (holds.get(holder) <= 0) {
        return Optional.empty();
      }
      holds.add(holder, -1);
      holds.dropDead();
      if (holds.total() <= 0) {
        if (check.isMounted(id)) {
          unmount.run();
        }
        h.write(holds); // blanks or removes the file
        return Optional.of(0);
      }
      h.write(holds);
      return Optional.of(holds.total());
    }
  }

  /** Closes the lock files kept open (this process no longer uses the store). */
  void close() {
    locks.closeKept();
  }

  private Held lock(String id) throws IOException {
    return new Held(id, locks.lock(id));
  }

  /** Who holds how many references on one id. */
  private static final class Holds {
    /** Holder (LEFT or a {@link ProcessHolder}) to count; sorted, so the file is stable. */
    final Map<String, Integer> counts = new TreeMap<>();

    int get(String holder) {
      return counts.getOrDefault(holder, 0);
    }

    void add(String holder, int n) {
      int c = get(holder) + n;
      if (c > 0) {
        counts.put(holder, c);
      } else {
        counts.remove(holder);
      }
    }

    int total() {
      int t = 0;
      for (int c : counts.values()) {
        t += c;
      }
      return t;
    }

    void clear() {
      counts.clear();
    }

    /** Drops the holdings of processes no longer alive; whether there were any. */
    boolean dropDead() throws IOException {
      boolean any = false;
      for (Iterator<String> it = counts.keySet().iterator(); it.hasNext(); ) {
        String holder = it.next();
        if (holder.equals(LEFT)) {
          continue;
        }
        Optional<ProcessHolder> p = ProcessHolder.parse(holder);
        if (p.isEmpty() || !p.get().isAlive()) {
          it.remove();
          any = true;
        }
      }
      return any;
    }
  }

  private final class Held implements AutoCloseable {
    private final String id;
    private final FileLocks.Held lock;

    /** How long the count file was when {@link #read} looked, and whether it held references. */
    private int length;

    private boolean hadHolds;

    Held(String id, FileLocks.Held lock) {
      this.id = id;
      this.lock = lock;
    }

    Holds read() throws IOException {
      Holds holds = new Holds();
      byte[] bytes;
      try {
        // no exists() first: the open says it, and it is one system call fewer on every mount
        bytes = Files.readAllBytes(file());
      } catch (NoSuchFileException e) {
        return holds;
      }
      length = bytes.length;
      for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\n")) {
        String[] words = line.strip().split(" ");
        try {
          if (words.length == 1 && !words[0].isEmpty()) {
            holds.add(LEFT, Integer.parseInt(words[0])); // the earlier format: one number
          } else if (words.length == 2) {
            holds.add(words[0], Integer.parseInt(words[1]));
          }
        } catch (NumberFormatException e) {
          // a damaged line holds nothing; the mount check and reclaim deal with the rest
        }
      }
      hadHolds = !holds.counts.isEmpty();
      return holds;
    }

    /**
     * Writes {@code holds}. Counts of kernel mounts ({@code inPlace}) are written over the file in
     * one pwrite(2), padded with empty lines (which hold nothing) to the length it had: never
     * truncated, never removed when the last reference goes. A truncate or a new file and its
     * removal are most of a warm mount's system time beside the mount itself (ext4 writes a file
     * truncated to zero out on close, and makes and frees an inode for each new file). One write of
     * less than a page is whole or not there when its process is killed, so references are never
     * half written; and a reboot, which could lose an unsynced write, takes the mounts with it.
     * {@link #reclaim} removes a file whose mount is gone. Other counts go through a temporary file
     * and a rename, and the file goes with the last reference.
     */
    void write(Holds holds) throws IOException {
      StringBuilder text = new StringBuilder();
      for (Map.Entry<String, Integer> e : holds.counts.entrySet()) {
        text.append(e.getKey()).append(' ').append(e.getValue()).append('\n');
      }
      if (inPlace && Math.max(text.length(), length) < IN_PLACE_MAX) {
        if (!hadHolds && text.length() == 0) {
          return; // holds nothing, and the file says so already
        }
        while (text.length() < length) {
          text.append('\n');
        }
        ByteBuffer b = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII));
        try (FileChannel ch =
            FileChannel.open(file(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
          while (b.hasRemaining()) {
            ch.write(b, b.position());
          }
        }
        return;
      }
      if (holds.total() <= 0) {
        delete();
        return;
      }
      Path tmp = dir.resolve(id + SUFFIX + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    void delete() throws IOException {
      Files.deleteIfExists(file());
    }

    private Path file() {
      return dir.resolve(id + SUFFIX);
    }

    @Override
    public void close() throws IOException {
      lock.close();
    }
  }
}

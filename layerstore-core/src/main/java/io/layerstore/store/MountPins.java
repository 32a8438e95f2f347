package io.layerstore.store;

import io.layerstore.Mount;
import io.layerstore.platform.FileLocks;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Which layers are mounted through a store right now, by any live process: an in-process union view
 * leaves no trace in the kernel's mount table, so a store in another process could not otherwise
 * tell that a layer it is about to remove is being read. Each process holds a shared lock on {@code
 * layerstore/locks/mounted-<driver id>.lock} while it has the layer mounted (its threads are
 * counted in memory); {@link #isPinned} tries an exclusive lock. A pin dies with its process.
 * Kernel mounts a process leaves behind on purpose ({@code layerstore mount}) are seen in the mount
 * table instead.
 *
 * <p>A lock file is opened only while this process holds no pin on it, since closing any descriptor
 * of a file drops the process's locks on it; the files are never deleted (another process may hold
 * a lock on one), so up to {@value #MAX_IDLE} of them stay open between pins, and a warm mount
 * needs no open and close of its pin's file.
 */
public final class MountPins {

  /** At most this many lock files stay open while unpinned. */
  static final int MAX_IDLE = 64;

  private final Path dir;
  private final Map<String, Pin> pins = new HashMap<>();

  /** Lock files of layers not pinned now, kept open (no lock on them) for the next pin. */
  private final Map<String, FileChannel> idle = new HashMap<>();

  /** The mounts this process has open, so that closing the store can name what it ends. */
  private final Set<Mount> open = new LinkedHashSet<>();

  private static final class Pin {
    final FileChannel channel;
    final FileLock lock;
    int count;

    Pin(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }
  }

  public MountPins(Path locksDir) {
    this.dir = locksDir;
  }

  /** Marks the layer {@code id} mounted by this process until the handle is closed. */
  public synchronized StoreLocks.Held pin(String id) throws IOException {
    Pin p = pins.get(id);
    if (p == null) {
      FileChannel ch = idle.remove(id);
      if (ch == null) {
        ch = FileLocks.openCreating(file(id), StandardOpenOption.READ, StandardOpenOption.WRITE);
      }
      try {
        p = new Pin(ch, StoreLocks.lockWaiting(ch, true));
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      pins.put(id, p);
    }
    p.count++;
    Pin held = p;
    AtomicBoolean closed = new AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true)) {
        unpin(id, held);
      }
    };
  }

  private synchronized void unpin(String id, Pin p) throws IOException {
    if (--p.count != 0) {
      return; // still used, or released by releaseAll
    }
    pins.remove(id);
    try {
      p.lock.release();
    } finally {
      if (idle.size() < MAX_IDLE) {
        idle.put(id, p.channel);
      } else {
        p.channel.close();
      }
    }
  }

  /**
   * Drops this process's pin on the layer {@code id}, however many handles hold it; the handles
   * become inert. For a forced removal that has just unmounted every mount of the layer this
   * process had: afterwards {@link #isPinned} sees only other processes' pins.
   */
  public synchronized void drop(String id) throws IOException {
    Pin p = pins.remove(id);
    if (p == null) {
      return;
    }
    p.count = Integer.MIN_VALUE / 2; // handles still open become inert
    try {
      p.lock.release();
    } finally {
      p.channel.close();
    }
  }

  /** Drops every pin (the store is closing; its driver unmounts what it mounted). */
  public synchronized void releaseAll() throws IOException {
    IOException failure = null;
    for (FileChannel ch : idle.values()) {
      try {
        ch.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    idle.clear();
    for (Pin p : pins.values()) {
      try {
        p.lock.release();
        p.channel.close();
      } catch (IOException e) {
        failure = e;
      }
      p.count = Integer.MIN_VALUE / 2; // handles still open become inert
    }
    pins.clear();
    if (failure != null) {
      throw failure;
    }
  }

  /** Records {@code m} as open in this process until {@link #closed}. */
  synchronized void opened(Mount m) {
    open.add(m);
  }

  /** Forgets {@code m}: it was closed or left mounted. */
  synchronized void closed(Mount m) {
    open.remove(m);
  }

  /**
   * The mounts this process has open now, each described as what is mounted and where.
   *
   * @return a new list, in the order they were opened
   */
  public synchronized List<String> openMounts() {
    List<String> out = new ArrayList<>();
    for (Mount m : open) {
      out.add(m.toString());
    }
    return out;
  }

  /** Whether a live process (this one included) has the layer {@code id} mounted. */
  public synchronized boolean isPinned(String id) throws IOException {
    if (pins.containsKey(id)) {
      return true;
    }
    FileChannel kept = idle.get(id);
    if (kept != null) {
      return isLockedElsewhere(kept);
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(file(id), StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      return false;
    }
    try (ch) {
      return isLockedElsewhere(ch);
    }
  }

  /** Whether another process holds a lock on the file of {@code ch}: an exclusive try fails. */
  private static boolean isLockedElsewhere(FileChannel ch) throws IOException {
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      return true;
    }
    if (l == null) {
      return true;
    }
    l.release();
    return false;
  }

  private Path file(String id) {
    return dir.resolve("mounted-" + id + ".lock");
  }
}

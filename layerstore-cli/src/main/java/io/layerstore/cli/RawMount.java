package io.layerstore.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Bare {@code mount(2)} and {@code umount2(2)} of an overlay, the peer of {@code LayerStore.mount}
 * in {@code bench-mount}. The options of a 125-layer overlay exceed a page with absolute paths, so,
 * like Docker and our driver, the lower directories are given relative to the driver's home: the
 * calls run on one thread that has unshared its file-system context ({@code CLONE_FS}) and changed
 * into that directory, so the JVM's other threads keep their working directory.
 */
final class RawMount implements AutoCloseable {
  private static final int CLONE_FS = 0x200;
  private static final long MS_RDONLY = 1;
  private static final int MNT_DETACH = 2;

  /** The C library calls used here. */
  interface LibC extends Library {
    int mount(String source, String target, String type, NativeLong flags, String data)
        throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    int unshare(int flags) throws LastErrorException;

    int chdir(String path) throws LastErrorException;
  }

  private final LibC libc = Native.load("c", LibC.class);
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "bench-raw-mount");
            t.setDaemon(true);
            return t;
          });

  /** A mount thread whose working directory is {@code home}. */
  RawMount(Path home) throws IOException {
    call(
        () -> {
          libc.unshare(CLONE_FS);
          libc.chdir(home.toString());
          return null;
        });
  }

  /** Mounts the overlay read-only at {@code target} and unmounts it, {@code times} times. */
  void cycle(Path target, String options, int times) throws IOException {
    String t = target.toString();
    call(
        () -> {
          for (int i = 0; i < times; i++) {
            libc.mount("overlay", t, "overlay", new NativeLong(MS_RDONLY), options);
            libc.umount2(t, MNT_DETACH);
          }
          return null;
        });
  }

  private void call(Callable<Void> c) throws IOException {
    try {
      thread.submit(c).get();
    } catch (ExecutionException e) {
      throw new IOException("mount(2): " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}

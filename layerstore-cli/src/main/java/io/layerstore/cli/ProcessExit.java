package io.layerstore.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Ends the process of a finished command the way a C program does, with {@code _exit(2)}, once its
 * output is flushed and its store closed.
 *
 * <p>Why not {@link System#exit}: on its way out the JVM waits for every thread that is inside a
 * native call to leave it, up to 300 ms for an application thread (HotSpot's {@code
 * VM_Exit::wait_for_threads_in_native_to_block}). The JDK's HTTP client keeps a selector thread
 * blocked in {@code epoll_wait} for as long as the client lives, and Java 17 has no way to close
 * it, so every pull, push and login paid those 300 ms after its last line, about an eighth of a
 * pull of 200 MB. A command has nothing left for the JVM's teardown to do: files are closed and
 * synced where the store wants them durable, locks die with the process, and layerstore registers
 * no shutdown hooks.
 *
 * <p>{@code -Dlayerstore.jvmExit=true} keeps the JVM's own exit, for tools that act at the JVM's
 * end (a profiler writing its output, say). Where libc can't be reached the JVM's exit is used.
 */
final class ProcessExit {

  /** The one libc call this needs; the store's own libc binding is internal to the core. */
  interface C extends Library {
    void _exit(int status);
  }

  private ProcessExit() {}

  static void exit(int status) {
    System.out.flush();
    System.err.flush();
    if (System.getProperty("os.name", "").startsWith("Linux")
        && !Boolean.getBoolean("layerstore.jvmExit")) {
      try {
        Native.load("c", C.class)._exit(status);
      } catch (LinkageError | RuntimeException e) {
        // no libc through JNA: the JVM's exit below
      }
    }
    System.exit(status);
  }
}

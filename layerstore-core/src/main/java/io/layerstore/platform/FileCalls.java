package io.layerstore.platform;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * The libc calls a load makes for every small file of a layer, bound with JNA's direct mapping:
 * each is a static native method that JNA links to libc when this class is initialized, so a call
 * is one JNI transition. {@link LibC}'s interface mapping goes through a dynamic proxy, reflection
 * and per-call argument conversion first: measured on a load of 44,000 small files, its utimensat
 * calls alone cost 0.17 s of CPU in a warm JVM, more than the kernel took for them, and more in a
 * new process, where that code is not compiled yet.
 *
 * <p>Sizes are 64-bit ({@code long}): the class is used only where {@link #AVAILABLE} says the C
 * {@code long} is 64 bits (every 64-bit Linux).
 */
final class FileCalls {
  /** Whether the calls can be used: libc linked, and a 64-bit C {@code long}. */
  static final boolean AVAILABLE = link();

  static final int O_WRONLY = 01;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_CLOEXEC = 02000000;

  private FileCalls() {}

  private static boolean link() {
    if (Native.LONG_SIZE != 8) {
      return false;
    }
    try {
      Native.register(FileCalls.class, "c");
      return true;
    } catch (LinkageError | RuntimeException e) {
      return false;
    }
  }

  static native int open(byte[] path, int flags, int mode) throws LastErrorException;

  static native long write(int fd, byte[] buf, long count) throws LastErrorException;

  /** {@code times} is two {@code struct timespec} (atime, mtime) as four 64-bit words. */
  static native int futimens(int fd, long[] times) throws LastErrorException;

  static native int close(int fd) throws LastErrorException;
}

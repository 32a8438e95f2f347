package io.layerstore.platform;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

/**
 * The few libc calls Java has no API for. Paths and names are passed as NUL-terminated byte arrays
 * (see {@link LinuxCalls#cPath}) so that file names reach the kernel in the same bytes NIO uses,
 * whatever JNA's own string encoding is. Only touched on Linux, after {@link Platforms} decided on
 * the native platform, so loading libc never happens elsewhere.
 */
interface LibC extends Library {

  LibC INSTANCE = Native.load("c", LibC.class);

  int geteuid();

  int getegid();

  int lchown(byte[] path, int owner, int group) throws LastErrorException;

  int getpagesize();

  String strerror(int errnum);

  int mknod(byte[] path, int mode, long dev) throws LastErrorException;

  int fchmodat(int dirfd, byte[] path, int mode, int flags) throws LastErrorException;

  /** {@code times} is two {@code struct timespec} (atime, mtime) as four 64-bit words. */
  int utimensat(int dirfd, byte[] path, long[] times, int flags) throws LastErrorException;

  NativeLong lgetxattr(byte[] path, byte[] name, byte[] value, NativeLong size)
      throws LastErrorException;

  int lsetxattr(byte[] path, byte[] name, byte[] value, NativeLong size, int flags)
      throws LastErrorException;

  NativeLong llistxattr(byte[] path, byte[] list, NativeLong size) throws LastErrorException;

  int lremovexattr(byte[] path, byte[] name) throws LastErrorException;

  int mount(byte[] source, byte[] target, byte[] fsType, NativeLong flags, byte[] data)
      throws LastErrorException;

  int umount2(byte[] target, int flags) throws LastErrorException;

  /** {@code CLONE_FS}: give the calling thread its own cwd, root and umask. */
  int CLONE_FS = 0x00000200;

  int unshare(int flags) throws LastErrorException;

  int chdir(byte[] path) throws LastErrorException;

  int open(byte[] path, int flags) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  /** Writes every dirty page of the file system holding {@code fd} (Linux 2.6.39+). */
  int syncfs(int fd) throws LastErrorException;

  /**
   * Calls whose failure is an everyday answer, not an error (statx of a mount point that is not
   * there, asked on every first mount): declared without {@code throws LastErrorException}, a
   * failure costs no exception (JNA's, which fills a stack trace and parses its own message, then
   * ours); the caller reads errno with {@link Native#getLastError}.
   */
  interface Quiet extends Library {

    Quiet INSTANCE = Native.load("c", Quiet.class);

    int statx(int dirfd, byte[] path, int flags, int mask, byte[] statxbuf);
  }
}

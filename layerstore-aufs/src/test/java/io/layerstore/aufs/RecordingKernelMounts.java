package io.layerstore.aufs;

import io.layerstore.platform.KernelMounts;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@link KernelMounts} that records every call instead of making it, and keeps the mount table
 * those calls would have made, so a driver's kernel path runs to the end without the kernel feature
 * (aufs) it needs. A predicate can make chosen mount calls fail, as a kernel would.
 */
final class RecordingKernelMounts implements KernelMounts {

  /** One recorded call, in the form tests compare: {@code mount none <target> aufs 0x0 <data>}. */
  record Call(String op, String source, String target, String fsType, long flags, String data) {
    @Override
    public String toString() {
      if (op.equals("umount")) {
        return "umount2 " + target + " flags=" + flags;
      }
      return "mount "
          + source
          + " "
          + target
          + " "
          + fsType
          + " flags=0x"
          + Long.toHexString(flags)
          + " data="
          + data;
    }
  }

  private final int pageSize;
  private final List<Call> calls = new ArrayList<>();
  private final Map<String, String> table = new HashMap<>();
  private Predicate<Call> fail = c -> false;

  RecordingKernelMounts(int pageSize) {
    this.pageSize = pageSize;
  }

  /** Makes mount calls matching {@code p} fail with EINVAL. */
  synchronized RecordingKernelMounts failing(Predicate<Call> p) {
    this.fail = p;
    return this;
  }

  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  synchronized void clear() {
    calls.clear();
  }

  @Override
  public synchronized void mount(String source, Path target, String fsType, long flags, String data)
      throws IOException {
    Call c = new Call("mount", source, target.toString(), fsType, flags, data);
    calls.add(c);
    if (data != null
        && data.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > pageSize - 1) {
      throw new FileSystemException(target.toString(), null, "data longer than a page");
    }
    if (fail.test(c)) {
      throw new FileSystemException(target.toString(), null, "mount: Invalid argument");
    }
    if ((flags & MS_REMOUNT) == 0) {
      table.put(target.toString(), fsType);
    } else if (!table.containsKey(target.toString())) {
      throw new FileSystemException(target.toString(), null, "remount of something not mounted");
    }
  }

  @Override
  public void mountFrom(
      Path workingDir, String source, Path target, String fsType, long flags, String data)
      throws IOException {
    throw new UnsupportedOperationException("not used by aufs");
  }

  @Override
  public synchronized void unmount(Path target, int flags) throws IOException {
    calls.add(new Call("umount", null, target.toString(), null, flags, null));
    if (table.remove(target.toString()) == null) {
      throw new FileSystemException(target.toString(), null, "umount2: Invalid argument");
    }
  }

  @Override
  public synchronized boolean isMountPoint(Path target) {
    return table.containsKey(target.toString());
  }

  @Override
  public synchronized String mountType(Path target) {
    return table.get(target.toString());
  }

  @Override
  public boolean supportsFileSystem(String fsType) {
    return true;
  }

  @Override
  public int pageSize() {
    return pageSize;
  }
}

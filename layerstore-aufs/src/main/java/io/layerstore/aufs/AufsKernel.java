package io.layerstore.aufs;

import io.layerstore.spi.KernelMounter;
import io.layerstore.spi.MountCalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kernel aufs mounts of layers at {@code mnt/<id>}, made the way Docker makes them: the calls of
 * {@link AufsMountData} through {@link MountCalls}, every mount call of the driver one at a time
 * (aufs creates its xino file exclusively, so parallel mounts sharing {@code xino=} fail), and an
 * unmount that first runs {@code auplink flush}, then detaches, retrying while the mount is busy.
 *
 * <p>Whether the kernel takes {@code dirperm1} is probed once, on the first mount, as Docker does:
 * mounting a scratch directory with it.
 */
final class AufsKernel implements KernelMounter {
  private static final Logger LOG = LoggerFactory.getLogger(AufsKernel.class);
  private static final int UNMOUNT_RETRIES = 5;

  /** The ancestors of a layer, nearest first. */
  interface Chain {
    List<String> parents(String id) throws IOException;
  }

  private final AufsLayout layout;
  private final MountCalls km;
  private final Chain chain;
  private final Auplink auplink;
  private final String mountLabel;
  private final Path proc;
  private final Object mountLock = new Object();
  private Boolean dirperm1;

  AufsKernel(
      AufsLayout layout,
      MountCalls km,
      Chain chain,
      Auplink auplink,
      String mountLabel,
      Path proc) {
    this.layout = layout;
    this.km = km;
    this.chain = chain;
    this.auplink = auplink;
    this.mountLabel = mountLabel;
    this.proc = proc;
  }

  /** The mount calls for {@code id} (no syscall is made). */
  List<AufsMountData.Call> plan(String id, boolean writable) throws IOException {
    List<String> lowers = new ArrayList<>();
    for (String p : chain.parents(id)) {
      lowers.add(layout.diff(p).toString());
    }
    return AufsMountData.calls(
        layout.mnt(id).toString(),
        layout.diff(id).toString(),
        writable,
        lowers,
        km.pageSize(),
        dirperm1(),
        mountLabel);
  }

  @Override
  public void mount(String id, boolean writable) throws IOException {
    List<AufsMountData.Call> calls = plan(id, writable);
    Path target = layout.mnt(id);
    Files.createDirectories(target);
    synchronized (mountLock) {
      boolean mounted = false;
      try {
        for (AufsMountData.Call c : calls) {
          km.mount(c.source(), target, c.fsType(), c.flags(), c.data());
          mounted = true;
        }
      } catch (IOException | RuntimeException e) {
        if (mounted) {
          try {
            km.unmount(target, MountCalls.MNT_DETACH);
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        throw e;
      }
    }
    LOG.debug("aufs: mounted {} with {} calls", id, calls.size());
  }

  @Override
  public void unmount(String id) throws IOException {
    unmountPath(layout.mnt(id));
  }

  private void unmountPath(Path target) throws IOException {
    auplink.flush(target);
    for (int i = 0; ; i++) {
      try {
        km.unmount(target, MountCalls.MNT_DETACH);
        return;
      } catch (FileSystemException e) {
        String reason = String.valueOf(e.getReason()) + " " + e.getMessage();
        if (reason.contains("Invalid argument")) {
          return; // not mounted (any more)
        }
        if (!reason.contains("busy") || i >= UNMOUNT_RETRIES - 1) {
          throw e;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  @Override
  public boolean isMounted(String id) throws IOException {
    return "aufs".equals(km.mountType(layout.mnt(id)));
  }

  /**
   * The writability of the existing mount: {@code ro} or {@code rw} first in its {@code
   * <proc>/mounts} options, else what access(2) says of the mount point.
   */
  @Override
  public boolean isWritable(String id) throws IOException {
    String target = layout.mnt(id).toString();
    Path mounts = proc.resolve("mounts");
    String opts = null;
    if (Files.isReadable(mounts)) {
      for (String line :
          new String(Files.readAllBytes(mounts), StandardCharsets.UTF_8).split("\n")) {
        String[] f = line.split(" ");
        if (f.length >= 4
            && f[2].equals("aufs")
            && AufsBranchReader.unescape(f[1]).equals(target)) {
          opts = f[3];
        }
      }
    }
    if (opts != null) {
      return !(opts.equals("ro") || opts.startsWith("ro,"));
    }
    return Files.isWritable(layout.mnt(id));
  }

  /** Whether the kernel takes dirperm1 (probed on first use, as Docker's useDirperm). */
  boolean dirperm1() {
    synchronized (mountLock) {
      if (dirperm1 == null) {
        dirperm1 = probeDirperm1();
      }
      return dirperm1;
    }
  }

  private boolean probeDirperm1() {
    Path base = null;
    Path union = null;
    try {
      base = Files.createTempDirectory(layout.home(), ".dirperm1-probe-base-");
      union = Files.createTempDirectory(layout.home(), ".dirperm1-probe-union-");
      try {
        km.mount("none", union, "aufs", 0, AufsMountData.probeData(base.toString()));
      } catch (IOException e) {
        LOG.info("aufs: dirperm1 is not supported: {}", e.getMessage());
        return false;
      }
      try {
        unmountPath(union);
      } catch (IOException e) {
        LOG.warn("aufs: could not unmount the dirperm1 probe at {}: {}", union, e.toString());
      }
      return true;
    } catch (IOException e) {
      LOG.warn("aufs: cannot probe dirperm1: {}", e.toString());
      return false;
    } finally {
      for (Path p : new Path[] {union, base}) {
        if (p != null) {
          try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
              Files.delete(p);
            }
          } catch (IOException e) {
            LOG.warn("aufs: could not remove {}: {}", p, e.toString());
          }
        }
      }
    }
  }
}

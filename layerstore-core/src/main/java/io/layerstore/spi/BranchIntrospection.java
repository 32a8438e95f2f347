package io.layerstore.spi;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A driver whose mounts are a stack of branches that can be listed, the way aufs shows them: its
 * {@code /proc/mounts} line names the mount's {@code si} id, and {@code /sys/fs/aufs/si_<si>/}
 * holds one {@code br<N>} file per branch ({@code <path>=<permission>}), a {@code brid<N>} with its
 * branch id, and {@code xi_path}, the external inode table. Optional: core and tools check {@code
 * driver instanceof BranchIntrospection}.
 *
 * <p>For a kernel mount the answer is read from procfs and sysfs; for the in-process union the
 * driver gives the same shape for the branches the union really stacks.
 */
public interface BranchIntrospection {

  /**
   * The branches of {@code id}'s mount.
   *
   * @param id the layer
   * @return its mount's branch stack, or empty when {@code id} is not mounted
   * @throws IOException if {@code id} does not exist, or procfs or sysfs cannot be read
   */
  Optional<MountBranches> branches(String id) throws IOException;

  /**
   * One branch.
   *
   * @param index position in the stack, 0 = topmost
   * @param path the branch directory, as the kernel shows it (escapes undone)
   * @param permission {@code rw}, {@code ro+wh}, {@code ro}, ... as aufs prints it
   * @param branchId aufs's id for the branch ({@code brid<N>}), or -1 if not known
   */
  record Branch(int index, String path, String permission, long branchId) {
    /**
     * Checks that the path and permission are given.
     *
     * @param index position in the stack, 0 = topmost
     * @param path the branch directory
     * @param permission the branch's permission as aufs prints it
     * @param branchId aufs's id for the branch, or -1
     */
    public Branch {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(permission, "permission");
    }
  }

  /**
   * A mount's branch stack.
   *
   * @param mountPoint where it is mounted (for the in-process union: where the kernel would mount
   *     it)
   * @param si aufs's superblock id in hex, as in {@code si=} and {@code /sys/fs/aufs/si_<si>}
   * @param branches topmost first
   * @param xinoPath the external inode number table ({@code xi_path}), or "" if none is shown
   * @param kernel whether this was read from a kernel mount (else synthesized for the in-process
   *     union)
   */
  record MountBranches(
      String mountPoint, String si, List<Branch> branches, String xinoPath, boolean kernel) {
    /**
     * Checks the parts and copies {@code branches}.
     *
     * @param mountPoint where it is mounted
     * @param si aufs's superblock id in hex
     * @param branches topmost first
     * @param xinoPath the external inode number table, or ""
     * @param kernel whether this was read from a kernel mount
     */
    public MountBranches {
      Objects.requireNonNull(mountPoint, "mountPoint");
      Objects.requireNonNull(si, "si");
      branches = List.copyOf(branches);
      Objects.requireNonNull(xinoPath, "xinoPath");
    }
  }
}

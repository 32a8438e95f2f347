package io.layerstore.aufs;

import io.layerstore.spi.BranchIntrospection.Branch;
import io.layerstore.spi.BranchIntrospection.MountBranches;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads an aufs mount's branches the way aufs-util's first {@code br.c} did (docs/aufs-layout.md
 * §3): find the mount point's {@code aufs} line in {@code <proc>/mounts} (the last one if mounts
 * are stacked); if its options end in {@code br:...} (module parameter {@code brs=0}) the branches
 * are there; otherwise take {@code si=<hex>} and read {@code <sys>/fs/aufs/si_<hex>/br0}, {@code
 * br1}, ... until one is missing, each {@code <path>=<perm>} split at its last {@code =}, with
 * {@code brid<N>} and {@code xi_path} beside them.
 *
 * <p>The proc and sys roots are parameters, so a test can hand it a fake tree with the exact files
 * a real aufs writes.
 */
final class AufsBranchReader {

  private final Path proc;
  private final Path sys;

  AufsBranchReader(Path proc, Path sys) {
    this.proc = proc;
    this.sys = sys;
  }

  /** The branches of the aufs mount at {@code mountPoint}, or empty if there is none. */
  Optional<MountBranches> read(String mountPoint) throws IOException {
    Path mounts = proc.resolve("mounts");
    String options = null;
    for (String line : new String(readFile(mounts), StandardCharsets.UTF_8).split("\n")) {
      String[] f = line.split(" ");
      if (f.length >= 4 && f[2].equals("aufs") && unescape(f[1]).equals(mountPoint)) {
        options = f[3];
      }
    }
    if (options == null) {
      return Optional.empty();
    }
    String si = option(options, "si=");
    int br = options.indexOf(",br:");
    if (br >= 0) {
      List<Branch> branches = new ArrayList<>();
      String[] items = options.substring(br + 4).split(":");
      for (int i = 0; i < items.length; i++) {
        branches.add(branch(i, items[i], -1, mounts));
      }
      return Optional.of(new MountBranches(mountPoint, si == null ? "" : si, branches, "", true));
    }
    if (si == null || !si.matches("[0-9a-f]{1,16}")) {
      throw new IOException(
          mounts
              + ": the aufs mount at "
              + mountPoint
              + " shows neither si= nor br: ("
              + options
              + ")");
    }
    Path dir = sys.resolve("fs").resolve("aufs").resolve("si_" + si);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(
          dir.toString(), null, "sysfs has no directory for the aufs mount at " + mountPoint);
    }
    List<Branch> branches = new ArrayList<>();
    for (int n = 0; ; n++) {
      Path brFile = dir.resolve("br" + n);
      if (!Files.exists(brFile, LinkOption.NOFOLLOW_LINKS)) {
        break;
      }
      String text = line(brFile);
      long brid = -1;
      Path bridFile = dir.resolve("brid" + n);
      if (Files.exists(bridFile, LinkOption.NOFOLLOW_LINKS)) {
        try {
          brid = Long.parseLong(line(bridFile));
        } catch (NumberFormatException e) {
          throw new IOException(bridFile + ": not a branch id: \"" + line(bridFile) + "\"");
        }
      }
      branches.add(branch(n, text, brid, brFile));
    }
    Path xi = dir.resolve("xi_path");
    String xino = Files.exists(xi, LinkOption.NOFOLLOW_LINKS) ? unescape(line(xi)) : "";
    return Optional.of(new MountBranches(mountPoint, si, branches, xino, true));
  }

  private static Branch branch(int index, String text, long brid, Path source) throws IOException {
    int eq = text.lastIndexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new IOException(
          source + ": branch " + index + " is not <path>=<permission>: \"" + text + "\"");
    }
    return new Branch(index, unescape(text.substring(0, eq)), text.substring(eq + 1), brid);
  }

  /** The value of {@code key} ({@code si=}) in a comma-separated option list, or null. */
  private static String option(String options, String key) {
    for (String o : options.split(",")) {
      if (o.startsWith(key)) {
        return o.substring(key.length());
      }
    }
    return null;
  }

  /** A one-line sysfs file without its newline. */
  private static String line(Path p) throws IOException {
    String s = new String(readFile(p), StandardCharsets.UTF_8);
    return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
  }

  /** sysfs reads of an aufs mount fail with EBUSY while aufs holds its lock; try again a little. */
  private static byte[] readFile(Path p) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return Files.readAllBytes(p);
      } catch (FileSystemException e) {
        String reason = String.valueOf(e.getReason());
        if (attempt >= 4 || !reason.contains("busy")) {
          throw e;
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** Undoes the kernel's {@code \ooo} escapes (seq_path: bytes 0x01-0x20, backslash, 0x7f). */
  static String unescape(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length);
    for (int i = 0; i < b.length; i++) {
      if (b[i] == '\\'
          && i + 3 < b.length
          && octal(b[i + 1])
          && octal(b[i + 2])
          && octal(b[i + 3])) {
        out.write(((b[i + 1] - '0') << 6) | ((b[i + 2] - '0') << 3) | (b[i + 3] - '0'));
        i += 3;
      } else {
        out.write(b[i]);
      }
    }
    return new String(out.toByteArray(), StandardCharsets.UTF_8);
  }

  /**
   * The kernel's escaping, for writing the same form (fake trees in tests, synthesized answers).
   */
  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 0x01 && c <= 0x20) || c == '\\' || c == 0x7f) {
        sb.append('\\')
            .append((char) ('0' + ((c >> 6) & 7)))
            .append((char) ('0' + ((c >> 3) & 7)))
            .append((char) ('0' + (c & 7)));
      } else {
        sb.append((char) c);
      }
    }
    return new String(sb.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  private static boolean octal(byte c) {
    return c >= '0' && c <= '7';
  }
}

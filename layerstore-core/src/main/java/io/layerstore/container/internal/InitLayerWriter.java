package io.layerstore.container.internal;

import io.layerstore.LayerStoreException;
import io.layerstore.container.InitFiles;
import java.io.IOException;
import java.util.List;

/**
 * Fills a container's init layer the way Docker's {@code initlayer.Setup} does, writing into the
 * init layer's own directory as a mount of it over the image would ({@link UpperDirWriter}):
 *
 * <p>for each path below, first every existing non-directory on the way to it is removed (a file or
 * symlink where a directory of the path belongs, or at the path itself); then, if nothing is at the
 * path, its missing parents are made (0755, root) and it is created: {@code /dev/pts}, {@code
 * /dev/shm}, {@code /proc}, {@code /sys} as directories 0755; {@code /.dockerenv}, {@code
 * /etc/resolv.conf}, {@code /etc/hosts}, {@code /etc/hostname}, {@code /dev/console} as empty files
 * 0755; {@code /etc/mtab} as a symlink to {@code /proc/mounts}. A directory the image has at one of
 * these paths is kept as it is.
 *
 * <p>Where {@link InitFiles} gives content for one of the three {@code /etc} files, that content is
 * written into the new file and its mode is 0644.
 */
final class InitLayerWriter {

  private enum Type {
    DIR,
    FILE,
    MTAB
  }

  private record Item(String path, Type type) {}

  /** Docker's list; its order (a Go map's) does not matter, only mtimes could tell. */
  private static final List<Item> ITEMS =
      List.of(
          new Item("dev/pts", Type.DIR),
          new Item("dev/shm", Type.DIR),
          new Item("proc", Type.DIR),
          new Item("sys", Type.DIR),
          new Item(".dockerenv", Type.FILE),
          new Item("etc/resolv.conf", Type.FILE),
          new Item("etc/hosts", Type.FILE),
          new Item("etc/hostname", Type.FILE),
          new Item("dev/console", Type.FILE),
          new Item("etc/mtab", Type.MTAB));

  private InitLayerWriter() {}

  /** Fills the init layer {@code w} writes into. */
  static void populate(UpperDirWriter w, InitFiles init) throws IOException {
    for (Item item : ITEMS) {
      String rel = item.path();
      String prefix = "";
      for (String part : rel.split("/")) {
        prefix = prefix.isEmpty() ? part : prefix + "/" + part;
        UpperDirWriter.Shown s = w.lookup(prefix);
        if (s == null) {
          break;
        }
        if (!s.isDirectory()) {
          w.unlink(prefix);
          break;
        }
      }
      if (w.lookup(rel) != null) {
        continue;
      }
      w.mkdirs(UpperDirWriter.parentOf(rel));
      switch (item.type()) {
        case DIR:
          w.mkdirs(rel);
          break;
        case FILE:
          String content = content(init, rel);
          w.createFile(rel, UpperDirWriter.utf8(content), content == null ? 0755 : 0644);
          break;
        case MTAB:
          w.symlink(rel, "/proc/mounts");
          break;
        default:
          throw new AssertionError(item.type());
      }
    }
    w.flush();
  }

  /**
   * Makes the container's working directory the way {@code docker create} does ({@code
   * SetupWorkingDirectory}): symlinks on the way are followed inside the container's view, missing
   * directories are made 0755 root in the read-write layer {@code w} writes into, an existing
   * non-directory is an error.
   */
  static void workingDir(UpperDirWriter w, String dir) throws IOException {
    String rel = w.resolveInView(dir);
    try {
      w.mkdirs(rel);
    } catch (LayerStoreException e) {
      throw new LayerStoreException(
          "Cannot mkdir: " + dir + " (the image's working directory) is not a directory", e);
    }
    w.flush();
  }

  private static String content(InitFiles init, String rel) {
    switch (rel) {
      case "etc/hostname":
        return init.hostname() == null ? null : init.hostname() + "\n";
      case "etc/hosts":
        return hostsText(init);
      case "etc/resolv.conf":
        return init.resolvConf();
      default:
        return null;
    }
  }

  /** The {@code /etc/hosts} text: Docker's default lines, then the entries; null if none given. */
  private static String hostsText(InitFiles init) {
    if (init.hosts().isEmpty()) {
      return null;
    }
    StringBuilder sb =
        new StringBuilder()
            .append("127.0.0.1\tlocalhost\n")
            .append("::1\tlocalhost ip6-localhost ip6-loopback\n")
            .append("fe00::0\tip6-localnet\n")
            .append("ff00::0\tip6-mcastprefix\n")
            .append("ff02::1\tip6-allnodes\n")
            .append("ff02::2\tip6-allrouters\n");
    for (InitFiles.HostEntry e : init.hosts()) {
      sb.append(e.ip()).append('\t').append(e.name()).append('\n');
    }
    return sb.toString();
  }
}

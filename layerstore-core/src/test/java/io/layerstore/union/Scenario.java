package io.layerstore.union;

import io.layerstore.platform.NodeKind;
import java.io.IOException;

/**
 * The layer stack the union tests look at, built into any three trees in any whiteout format:
 * whiteouts of files and directories, opaque directories, a directory replaced by a file and back,
 * a symlink replaced by a directory, hardlinks, absolute, relative, dangling and looping symlinks,
 * device nodes, a fifo, setuid/setgid/sticky bits and numeric owners.
 */
final class Scenario {
  private Scenario() {}

  /** The base layer. */
  static void base(LayerWriter l) throws IOException {
    l.dir("etc")
        .file("etc/os-release", "NAME=base\n")
        .xattr("etc/os-release", "user.layerstore.test", "base")
        .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        .xattr("etc/passwd", "user.origin", "l1")
        .file("etc/remove-me", "doomed\n")
        .file("etc/remove-dir/inside", "also doomed\n")
        .file("etc/conf.d/a.conf", "a=1\n")
        .file("etc/conf.d/b.conf", "b=1\n")
        .file("etc/gone-later", "first\n")
        .symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
        .symlink("etc/dangling", "/nonexistent/file")
        .file("usr/share/doc/readme", "old doc\n")
        .file("usr/share/doc/sub/x", "x\n")
        .file("usr/share/zoneinfo/UTC", "TZif\n")
        .file("usr/bin/tool", "tool v1\n", 0755, 0, 0)
        .file("usr/bin/su", "su\n", 04755, 0, 0)
        .file("usr/bin/crontab", "crontab\n", 02755, 0, 107)
        .file("usr/lib/libc.so", "libc\n")
        .symlink("lib", "usr/lib")
        .dir("home/user", 0750, 1000, 1000)
        .file("home/user/.profile", "export A=1\n", 0644, 1000, 1000)
        .dir("tmp", 01777, 0, 0)
        .file("var/cache/app/data", "cached\n")
        .file("var/lib/x", "state\n")
        .node("dev/null", NodeKind.CHAR_DEVICE, 0666, 1, 3)
        .node("dev/sda", NodeKind.BLOCK_DEVICE, 0660, 8, 0)
        .node("run/fifo", NodeKind.FIFO, 0644, 0, 0)
        .symlink("loop/a", "b")
        .symlink("loop/b", "a")
        .file("bin/sh", "shell\n", 0755, 0, 0)
        .hardlink("bin/bash", "bin/sh")
        .file("opt/a.txt", "a\n")
        .file("opt/dir/f", "f\n")
        .file("replace/file-then-dir", "file\n")
        .file("replace/dir-then-file/c", "c\n")
        .symlink("replace/link-then-dir", "/etc")
        .file("srv/old", "old\n", 0640, 33, 33)
        .settle();
  }

  /** The middle layer: whiteouts, opaque directories, replacements. */
  static void middle(LayerWriter l) throws IOException {
    l.dir("etc")
        .whiteout("etc/remove-me")
        .whiteout("etc/remove-dir")
        .whiteout("etc/gone-later")
        .file("etc/os-release", "NAME=middle\n")
        .dir("usr/share/doc")
        .opaque("usr/share/doc")
        .file("usr/share/doc/new", "new doc\n")
        .dir("replace")
        .file("replace/file-then-dir/inner", "inner\n")
        .file("replace/dir-then-file", "now a file\n")
        .file("replace/link-then-dir/x", "x\n")
        .dir("var/cache/app")
        .opaque("var/cache/app")
        .file("var/cache/app/fresh", "fresh\n")
        .dir("home/user", 0750, 1000, 1000)
        .file("home/user/.bashrc", "alias l=ls\n", 0644, 1000, 1000)
        .settle();
  }

  /** The top image layer. */
  static void top(LayerWriter l) throws IOException {
    l.dir("replace")
        .file("replace/file-then-dir", "file again\n")
        .file("etc/gone-later", "back\n")
        .file("etc/conf.d/c.conf", "c=1\n")
        .file("usr/bin/tool", "tool v2\n", 0755, 0, 0)
        .settle();
  }
}

package io.layerstore.union;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes to a mounted {@link Scenario} through plain {@code java.nio.file.Files} calls, so they can
 * run against a kernel overlay mount and against the union alike. Each step's outcome ("ok" or the
 * exception's class) is recorded: both sides must succeed and fail at the same steps.
 *
 * <p><b>No step may follow an absolute symlink</b>: on the kernel mount it would resolve against
 * the host's root and change the host's files (the union resolves it inside; that is tested on
 * jimfs only). Relative symlinks inside the mount are fine.
 */
final class WriteSequence {
  private WriteSequence() {}

  private interface Step {
    void run(Path root) throws IOException;
  }

  private static final Map<String, Step> STEPS = steps();

  private static Path at(Path root, String path) {
    return root.resolve(path);
  }

  private static Map<String, Step> steps() {
    Map<String, Step> steps = new LinkedHashMap<>();
    Builder step = steps::put;
    step.add("create file in merged dir", r -> Files.writeString(at(r, "etc/new.conf"), "new\n"));
    step.add(
        "create file with mode",
        r ->
            Files.createFile(
                at(r, "etc/secret"),
                PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------"))));
    step.add(
        "append to lower file",
        r -> Files.writeString(at(r, "etc/passwd"), "u:x:1\n", StandardOpenOption.APPEND));
    step.add(
        "truncate lower file",
        r -> {
          try (SeekableByteChannel c =
              Files.newByteChannel(
                  at(r, "usr/bin/tool"),
                  StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING)) {
            c.write(ByteBuffer.wrap("v3\n".getBytes(UTF_8)));
          }
        });
    step.add(
        "overwrite setuid file",
        r -> Files.writeString(at(r, "usr/bin/su"), "patched\n", StandardOpenOption.WRITE));
    step.add(
        "append in deep lower dir",
        r ->
            Files.writeString(
                at(r, "home/user/.profile"), "export B=2\n", StandardOpenOption.APPEND));
    step.add("delete lower file", r -> Files.delete(at(r, "etc/os-release")));
    step.add("delete lower symlink", r -> Files.delete(at(r, "etc/dangling")));
    step.add(
        "delete upper-only file",
        r -> {
          Files.writeString(at(r, "etc/tmp"), "t");
          Files.delete(at(r, "etc/tmp"));
        });
    step.add("rmdir non-empty merged dir", r -> Files.delete(at(r, "etc/conf.d")));
    step.add(
        "empty and rmdir merged dir",
        r -> {
          for (String f : List.of("a.conf", "b.conf", "c.conf")) {
            Files.delete(at(r, "etc/conf.d/" + f));
          }
          Files.delete(at(r, "etc/conf.d"));
        });
    step.add(
        "rm -r and mkdir again",
        r -> {
          Files.delete(at(r, "var/lib/x"));
          Files.delete(at(r, "var/lib"));
          Files.createDirectory(at(r, "var/lib"));
          Files.writeString(at(r, "var/lib/y"), "y\n");
        });
    step.add("mkdir over lower whiteout", r -> Files.createDirectory(at(r, "etc/remove-dir")));
    step.add("mkdir fresh", r -> Files.createDirectories(at(r, "srv/fresh/deeper")));
    step.add(
        "recreate deleted file",
        r -> {
          Files.delete(at(r, "opt/a.txt"));
          Files.writeString(at(r, "opt/a.txt"), "again\n");
        });
    step.add("rename lower file", r -> Files.move(at(r, "srv/old"), at(r, "srv/new")));
    step.add(
        "rename over lower file",
        r ->
            Files.move(
                at(r, "bin/sh"), at(r, "usr/bin/crontab"), StandardCopyOption.REPLACE_EXISTING));
    step.add(
        "rename lower dir atomically",
        r -> Files.move(at(r, "opt/dir"), at(r, "opt/dir2"), StandardCopyOption.ATOMIC_MOVE));
    step.add("rename non-empty lower dir", r -> Files.move(at(r, "opt/dir"), at(r, "opt/dir2")));
    step.add(
        "rename empty lower dir",
        r -> {
          Files.delete(at(r, "opt/dir/f"));
          Files.move(at(r, "opt/dir"), at(r, "opt/dir2"));
        });
    step.add(
        "rename pure upper dir within new dir",
        r -> Files.move(at(r, "srv/fresh/deeper"), at(r, "srv/fresh/deep")));
    step.add(
        "rename pure upper dir into merged dir",
        r -> Files.move(at(r, "srv/fresh"), at(r, "var/fresh"), StandardCopyOption.ATOMIC_MOVE));
    step.add(
        "chmod lower file",
        r ->
            Files.setPosixFilePermissions(
                at(r, "usr/bin/crontab"), PosixFilePermissions.fromString("rwxr-x---")));
    step.add("chown lower file", r -> Files.setAttribute(at(r, "etc/passwd"), "unix:uid", 1234));
    step.add("chgrp lower dir", r -> Files.setAttribute(at(r, "tmp"), "unix:gid", 5678));
    step.add(
        "touch lower file",
        r ->
            Files.setLastModifiedTime(
                at(r, "lib/libc.so"), FileTime.from(Instant.parse("2001-02-03T04:05:06Z"))));
    step.add(
        "chmod lower device",
        r ->
            Files.setPosixFilePermissions(
                at(r, "dev/null"), PosixFilePermissions.fromString("rw-rw-rw-")));
    step.add(
        "chown lower symlink",
        r -> Files.setAttribute(at(r, "lib"), "unix:uid", 7, LinkOption.NOFOLLOW_LINKS));
    step.add(
        "hardlink lower file", r -> Files.createLink(at(r, "etc/hl"), at(r, "etc/gone-later")));
    step.add(
        "symlink",
        r -> Files.createSymbolicLink(at(r, "srv/link"), r.getFileSystem().getPath("/etc/passwd")));
    step.add(
        "user xattr on lower file",
        r -> Files.setAttribute(at(r, "usr/share/zoneinfo/UTC"), "user:tz", "utc".getBytes(UTF_8)));
    step.add(
        "copy lower file",
        r ->
            Files.copy(
                at(r, "usr/bin/su"), at(r, "usr/bin/su2"), StandardCopyOption.COPY_ATTRIBUTES));
    step.add(
        "copy lower file plain", r -> Files.copy(at(r, "etc/passwd"), at(r, "srv/passwd.bak")));
    step.add(
        "write through relative symlink", r -> Files.writeString(at(r, "lib/libc.so"), "libc2\n"));
    step.add(
        "create in opaque lower dir",
        r -> Files.writeString(at(r, "usr/share/doc/added"), "added\n"));
    step.add("delete in dir-replaced-by-file", r -> Files.delete(at(r, "replace/dir-then-file/c")));
    step.add(
        "mkdir where symlink was",
        r -> {
          Files.delete(at(r, "loop/a"));
          Files.createDirectory(at(r, "loop/a"));
        });
    step.add("write to missing parent", r -> Files.writeString(at(r, "nowhere/x"), "x"));
    step.add("open dir for writing", r -> Files.writeString(at(r, "etc"), "x"));
    return Collections.unmodifiableMap(steps);
  }

  private interface Builder {
    void add(String name, Step step);
  }

  /** Runs every step on {@code root}; returns one "name: outcome" line per step. */
  static List<String> run(Path root) {
    List<String> outcomes = new ArrayList<>();
    for (Map.Entry<String, Step> step : STEPS.entrySet()) {
      String outcome;
      try {
        step.getValue().run(root);
        outcome = "ok";
      } catch (IOException | RuntimeException e) {
        outcome = e.getClass().getSimpleName();
      }
      outcomes.add(step.getKey() + ": " + outcome);
    }
    return outcomes;
  }
}

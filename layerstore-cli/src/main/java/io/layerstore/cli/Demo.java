package io.layerstore.cli;

import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.testkit.ImageArchiveBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * {@code layerstore demo}: the library's job end to end in a temporary store. Builds a three-layer
 * image whose upper layers delete a file (whiteout), replace a directory's content (opaque
 * directory) and rewrite a file; loads it; mounts it (a kernel overlay mount where the machine
 * allows, the in-process union view elsewhere); lists what the mount shows; saves it and checks
 * that every saved layer is byte for byte the loaded one.
 */
final class Demo {

  int run(Main.Context ctx, boolean keep) throws IOException {
    Path work = Files.createTempDirectory("layerstore-demo");
    try {
      return demo(ctx, work);
    } finally {
      if (!keep) {
        Shell.run(List.of("rm", "-rf", work.toString()));
      } else {
        ctx.out.println("kept " + work);
      }
    }
  }

  private int demo(Main.Context ctx, Path work) throws IOException {
    var out = ctx.out;
    ImageArchiveBuilder b = new ImageArchiveBuilder().tag("demo:latest");
    b.layer()
        .dir("etc", 0755)
        .file("etc/os-release", "NAME=\"layerstore demo\"\nVERSION=1\n", 0644)
        .file("etc/motd", "welcome, this file is deleted by layer 2\n", 0644)
        .dir("usr", 0755)
        .dir("usr/share", 0755)
        .dir("usr/share/doc", 0755)
        .file("usr/share/doc/old.txt", "old docs, hidden by an opaque directory\n", 0644)
        .dir("bin", 0755)
        .file("bin/tool", "#!/bin/sh\necho tool\n", 04755)
        .symlink("bin/tool-link", "tool")
        .hardlink("bin/tool-hardlink", "bin/tool")
        .dir("tmp", 01777);
    b.layer()
        .dir("etc", 0755)
        .whiteout("etc/motd")
        .file("etc/os-release", "NAME=\"layerstore demo\"\nVERSION=2\n", 0644)
        .dir("usr/share/doc", 0755)
        .opaque("usr/share/doc")
        .file("usr/share/doc/new.txt", "new docs\n", 0644);
    b.layer().dir("opt", 0755).file("opt/app.conf", "answer=42\n", 0640);
    Path archive = work.resolve("demo.tar");
    ImageId built = b.write(archive);
    out.println(
        "1. built "
            + archive.getFileName()
            + ": 3 layers (a whiteout, an opaque directory, a rewrite), image "
            + built.shortId());

    Path root = work.resolve("store");
    try (LayerStore store =
        LayerStore.builder(root)
            .driver(ctx.driver == null ? LayerStore.DEFAULT_DRIVER : ctx.driver)
            .open()) {
      long t0 = System.nanoTime();
      List<ImageId> ids = store.load(archive);
      out.printf(
          "2. loaded into %s (%s driver) in %.1f ms: %s%n",
          root, store.driverName(), (System.nanoTime() - t0) / 1e6, ids.get(0));
      for (var s : store.images()) {
        out.println("   " + s.repoTags() + " " + s.id().shortId() + " " + Human.size(s.size()));
      }
      try (Mount m = store.mount("demo:latest")) {
        out.println(
            "3. mounted at "
                + m.root()
                + (m.isKernelMount()
                    ? " (kernel " + store.driverName() + " mount)"
                    : " (in-process union view)"));
        List<String> lines = new ArrayList<>();
        Files.walkFileTree(
            m.root(),
            new SimpleFileVisitor<>() {
              @Override
              public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
                  throws IOException {
                if (!d.equals(m.root())) {
                  lines.add(describe(m.root(), d));
                }
                return FileVisitResult.CONTINUE;
              }

              @Override
              public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                lines.add(describe(m.root(), f));
                return FileVisitResult.CONTINUE;
              }
            });
        lines.sort(
            (x, y) -> x.substring(x.indexOf("  /")).compareTo(y.substring(y.indexOf("  /"))));
        lines.forEach(l -> out.println("   " + l));
        out.println(
            "   /etc/os-release says: "
                + Files.readString(m.root().resolve("etc/os-release"))
                    .lines()
                    .filter(l -> l.startsWith("VERSION"))
                    .findFirst()
                    .orElse("?"));
        out.println(
            "   /etc/motd "
                + (Files.exists(m.root().resolve("etc/motd"), LinkOption.NOFOLLOW_LINKS)
                    ? "is still there (wrong!)"
                    : "is gone (whiteout)"));
        out.println(
            "   /usr/share/doc holds only "
                + list(m.root().resolve("usr/share/doc"))
                + " (opaque directory)");
      }
      Path saved = work.resolve("saved.tar");
      store.save(List.of("demo:latest"), saved);
      out.println("4. saved " + saved.getFileName() + " (" + Files.size(saved) + " bytes)");
      List<DiffId> expected = store.image("demo:latest").diffIds();
      List<String> got = layerDigests(saved);
      boolean all = got.size() == expected.size();
      for (int i = 0; i < expected.size() && i < got.size(); i++) {
        boolean same = expected.get(i).digest().hex().equals(got.get(i));
        all &= same;
        out.println(
            "   layer "
                + (i + 1)
                + " "
                + (same ? "==" : "!=")
                + " loaded bytes ("
                + expected.get(i).digest().shortHex()
                + ")");
      }
      if (!all) {
        ctx.err.println("Error: a saved layer differs from the loaded one");
        return 1;
      }
      out.println("done: every saved layer is byte for byte the loaded one.");
    }
    return 0;
  }

  private static String list(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (var ds = Files.newDirectoryStream(dir)) {
      ds.forEach(p -> names.add(p.getFileName().toString()));
    }
    names.sort(String::compareTo);
    return names.toString();
  }

  private static String describe(Path root, Path p) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(p, "unix:mode,uid,gid,size", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    String type =
        Files.isSymbolicLink(p)
            ? "symlink"
            : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir" : "file";
    String extra = type.equals("symlink") ? " -> " + Files.readSymbolicLink(p) : "";
    return String.format(
        "%-8s %04o %s:%s %6d  /%s%s",
        type,
        mode & 07777,
        a.get("uid"),
        a.get("gid"),
        type.equals("file") ? (Long) a.get("size") : 0L,
        root.relativize(p),
        extra);
  }

  /** sha256 of each layer.tar in a docker save archive, in manifest order. */
  private static List<String> layerDigests(Path archive) throws IOException {
    Map<String, String> digests = new java.util.HashMap<>();
    String manifest = null;
    try (InputStream in = Files.newInputStream(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (e.getName().endsWith("/layer.tar") && e.isFile()) {
          MessageDigest md = Digest.newSha256();
          byte[] buf = new byte[1 << 16];
          int n;
          while ((n = tar.read(buf)) > 0) {
            md.update(buf, 0, n);
          }
          digests.put(e.getName(), java.util.HexFormat.of().formatHex(md.digest()));
        } else if (e.getName().equals("manifest.json")) {
          manifest = new String(tar.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    List<String> out = new ArrayList<>();
    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(manifest);
    for (var l : node.get(0).get("Layers")) {
      out.add(digests.get(l.asText()));
    }
    return out;
  }
}

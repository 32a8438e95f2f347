package io.layerstore.reliability;

import com.github.luben.zstd.Zstd;
import io.layerstore.DevicePolicy;
import io.layerstore.DigestMismatchException;
import io.layerstore.InvalidArchiveException;
import io.layerstore.LayerStore;
import io.layerstore.UnsafePathException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;

/**
 * The hostile and broken inputs of issue 5, one case each, named after what it tries. Every case is
 * built as a file (per environment, since some aim at the canary directory's absolute path) and
 * says what must happen: which exception, naming which entry, for which reason.
 *
 * <p>Layer cases are run both ways a layer comes in: inside a {@code docker save} archive ({@link
 * LayerStore#load}) and as a tarball ({@link LayerStore#importLayer}). Lower cases put the hostile
 * layer on top of the base layer the store already holds. Archive cases are whole {@code docker
 * save} archives.
 */
final class HostileCorpus {

  /** Where a case runs: the canary's absolute path is part of some inputs. */
  record Env(String name, String canaryAbs) {}

  /** How a case's input is made. */
  enum Shape {
    LAYER,
    LOWER,
    ARCHIVE
  }

  /**
   * One case.
   *
   * @param name file name stem, says what the input tries
   * @param shape layer, layer over the base, or whole archive
   * @param layer makes the layer tar (LAYER, LOWER)
   * @param archive makes the archive (ARCHIVE); gets the env and the base layer
   * @param expected the exception class (exactly), or null when the input must load
   * @param entry the entry the exception must name (null: none, "*": not checked)
   * @param reason a piece of the reason
   * @param options store options for this case
   */
  record Case(
      String name,
      Shape shape,
      Function<Env, byte[]> layer,
      ArchiveMaker archive,
      Class<? extends Exception> expected,
      String entry,
      String reason,
      Consumer<LayerStore.Builder> options) {
    @Override
    public String toString() {
      return name;
    }
  }

  interface ArchiveMaker {
    SaveArchive make(Env env, byte[] baseLayer) throws IOException;
  }

  private static final Consumer<LayerStore.Builder> DEFAULTS = b -> {};

  private HostileCorpus() {}

  /** The layer the store holds before every case: a directory, and symlinks that point out. */
  static byte[] baseLayer(Env env) {
    return new RawLayer()
        .dir("etc/")
        .file("etc/keep", "base\n")
        .symlink("link-abs", env.canaryAbs())
        .symlink("link-rel", "../../../../../../../../..")
        .dir("usr/")
        .dir("usr/lib/")
        .symlink("lib", "usr/lib")
        .end()
        .bytes();
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    Class<? extends Exception> unsafe = UnsafePathException.class;
    Class<? extends Exception> invalid = InvalidArchiveException.class;

    // ---- names
    c.add(
        layer(
            "name-dotdot",
            e -> l().file("../escaped", "x").end().bytes(),
            unsafe,
            "../escaped",
            "\"..\" in the name"));
    c.add(
        layer(
            "name-dotdot-deep",
            e -> l().file("foo/../../escaped", "x").end().bytes(),
            unsafe,
            "foo/../../escaped",
            "\"..\""));
    c.add(
        layer(
            "name-dotdot-staying-inside",
            e -> l().file("foo/../bar", "x").end().bytes(),
            unsafe,
            "foo/../bar",
            "\"..\""));
    c.add(
        layer(
            "name-absolute-into-canary",
            e -> l().file(e.canaryAbs() + "/pwned", "x").end().bytes(),
            unsafe,
            "${canary}/pwned",
            "absolute name"));
    c.add(
        layer(
            "name-dot-regular-file",
            e -> l().file(".", "x").end().bytes(),
            unsafe,
            ".",
            "names the layer root"));
    c.add(
        layer(
            "name-dot-slash-symlink",
            e -> l().symlink("./", e.canaryAbs()).end().bytes(),
            unsafe,
            "./",
            "names the layer root"));
    c.add(layer("name-empty", e -> l().file("", "x").end().bytes(), invalid, "", "empty name"));
    c.add(
        layer(
            "name-nul-byte",
            e -> l().pax("path=a\0b").file("ab", "x").end().bytes(),
            invalid,
            "PaxHeaders.0/x",
            "NUL byte in PAX path record"));
    c.add(
        layer(
            "name-invalid-utf8",
            e -> {
              RawLayer r = l();
              r.header("x", '0', 0).bytes(0, 100, new byte[] {'f', (byte) 0xff, 'f'}).add();
              return r.end().bytes();
            },
            invalid,
            "*",
            "not valid UTF-8"));
    c.add(
        layer(
            "name-too-long",
            e -> l().pax("path=" + "d/".repeat(9000) + "f").file("f", "x").end().bytes(),
            invalid,
            "*",
            "longer than 16384 bytes"));
    c.add(
        layer(
            "name-whiteout-as-directory",
            e -> l().file("a/.wh.b/c", "x").end().bytes(),
            unsafe,
            "a/.wh.b/c",
            "whiteout name is used as a directory"));

    // ---- symlinks and write-through
    c.add(
        layer(
            "symlink-absolute-then-write-through",
            e -> l().symlink("out", e.canaryAbs()).file("out/pwned", "x").end().bytes(),
            unsafe,
            "out/pwned",
            "path goes through the symlink out"));
    c.add(
        layer(
            "symlink-relative-then-write-through",
            e ->
                l().symlink("up", "../../../../../../../../..")
                    .file("up/tmp/pwned", "x")
                    .end()
                    .bytes(),
            unsafe,
            "up/tmp/pwned",
            "path goes through the symlink up"));
    c.add(
        layer(
            "symlink-chain-then-write-through",
            e ->
                l().symlink("a", "b")
                    .symlink("b", e.canaryAbs())
                    .file("a/pwned", "x")
                    .end()
                    .bytes(),
            unsafe,
            "a/pwned",
            "path goes through the symlink a"));
    c.add(
        layer(
            "symlink-then-directory-under-it",
            e -> l().symlink("out", e.canaryAbs()).dir("out/sub/").end().bytes(),
            unsafe,
            "out/sub/",
            "path goes through the symlink out"));
    c.add(
        layer(
            "directory-replaced-by-escaping-symlink-then-write",
            e -> l().dir("d/").symlink("d", e.canaryAbs()).file("d/pwned", "x").end().bytes(),
            invalid,
            "d",
            "duplicates of file paths"));
    c.add(
        layer(
            "duplicate-file-then-directory",
            e -> l().file("x", "1").dir("x/").end().bytes(),
            invalid,
            "x/",
            "duplicates of file paths"));

    // ---- through a symlink of a lower layer
    c.add(
        lower(
            "lower-symlink-absolute-write-through",
            e -> l().file("link-abs/pwned", "x").end().bytes(),
            unsafe,
            "link-abs/pwned",
            "path goes through the symlink link-abs of a lower layer"));
    c.add(
        lower(
            "lower-symlink-relative-write-through",
            e -> l().file("link-rel/tmp/pwned", "x").end().bytes(),
            unsafe,
            "link-rel/tmp/pwned",
            "symlink link-rel of a lower layer"));
    c.add(
        lower(
            "lower-symlink-directory-under-it",
            e -> l().dir("link-abs/sub/").end().bytes(),
            unsafe,
            "link-abs/sub/",
            "symlink link-abs of a lower layer"));
    c.add(
        lower(
            "lower-symlink-whiteout-through",
            e -> l().file("link-abs/.wh.keep", "").end().bytes(),
            unsafe,
            "link-abs/.wh.keep",
            "symlink link-abs of a lower layer"));
    c.add(
        lower(
            "lower-symlink-opaque-through",
            e -> l().file("link-abs/.wh..wh..opq", "").end().bytes(),
            unsafe,
            "link-abs/.wh..wh..opq",
            "symlink link-abs of a lower layer"));
    c.add(
        lower(
            "lower-symlink-hardlink-through",
            e -> l().file("f", "x").hardlink("link-abs/h", "f").end().bytes(),
            unsafe,
            "link-abs/h",
            "symlink link-abs of a lower layer"));

    // ---- hardlinks
    c.add(
        layer(
            "hardlink-dotdot",
            e -> l().hardlink("h", "../../../etc/passwd").end().bytes(),
            unsafe,
            "h",
            "\"..\""));
    c.add(
        layer(
            "hardlink-absolute-into-canary",
            e -> l().hardlink("h", e.canaryAbs() + "/keep").end().bytes(),
            unsafe,
            "h",
            "hardlink to the absolute path"));
    c.add(
        layer(
            "hardlink-missing-target",
            e -> l().hardlink("h", "nothere").end().bytes(),
            invalid,
            "h",
            "not in this layer"));
    c.add(
        layer(
            "hardlink-through-symlink",
            e -> l().symlink("d", e.canaryAbs()).hardlink("h", "d/keep").end().bytes(),
            invalid,
            "h",
            "not in this layer"));
    c.add(
        layer(
            "hardlink-to-directory",
            e -> l().dir("d/").hardlink("h", "d").end().bytes(),
            invalid,
            "h",
            "hardlink to the directory"));

    // ---- whiteouts
    c.add(
        layer(
            "whiteout-dotdot",
            e -> l().file(".wh...", "").end().bytes(),
            unsafe,
            ".wh...",
            "layer root or its parent"));
    c.add(
        layer(
            "whiteout-layer-root",
            e -> l().file(".wh..", "").end().bytes(),
            unsafe,
            ".wh..",
            "layer root or its parent"));
    c.add(
        layer(
            "whiteout-empty-name",
            e -> l().file(".wh.", "").end().bytes(),
            unsafe,
            ".wh.",
            "layer root or its parent"));
    c.add(
        layer(
            "whiteout-dotdot-path",
            e -> l().file("../.wh.etc", "").end().bytes(),
            unsafe,
            "../.wh.etc",
            "\"..\""));
    c.add(
        layer(
            "whiteout-in-dotdot-dir",
            e -> l().file("a/../../.wh.x", "").end().bytes(),
            unsafe,
            "a/../../.wh.x",
            "\"..\""));
    c.add(
        layer(
            "whiteout-with-content",
            e -> l().file("etc/.wh.keep", "not empty").end().bytes(),
            invalid,
            "etc/.wh.keep",
            "whiteouts are empty"));
    c.add(
        layer(
            "whiteout-of-own-entry",
            e -> l().file("x", "1").file(".wh.x", "").end().bytes(),
            invalid,
            ".wh.x",
            "which this layer itself holds"));

    // ---- headers and streams
    c.add(
        layer(
            "pax-size-huge",
            e -> l().pax("size=99999999999999999999999").file("f", "x").end().bytes(),
            invalid,
            "*",
            "invalid PAX size record"));
    c.add(
        layer(
            "pax-size-negative",
            e -> l().pax("size=-5").file("f", "x").end().bytes(),
            invalid,
            "f",
            "negative size -5"));
    c.add(
        layer(
            "pax-size-not-a-number",
            e -> l().pax("size=12abc").file("f", "x").end().bytes(),
            invalid,
            "*",
            "invalid PAX size record"));
    c.add(
        layer(
            "header-size-not-a-number",
            e -> {
              RawLayer r = l();
              r.header("f", '0', 0).str(124, 12, "zzzzzzzzzzz").add();
              return r.end().bytes();
            },
            invalid,
            "f",
            "invalid size field"));
    c.add(
        layer(
            "header-size-negative-base256",
            e -> {
              RawLayer r = l();
              r.header("f", '0', 0).base256(124, 12, -1).add();
              return r.end().bytes();
            },
            invalid,
            "f",
            "negative size"));
    c.add(
        layer(
            "header-size-beyond-the-data",
            e -> {
              RawLayer r = l();
              r.header("f", '0', 077777777777L).add();
              return r.data(new byte[10]).bytes();
            },
            invalid,
            "f",
            "the archive ends inside the content"));
    c.add(
        layer(
            "header-bad-checksum",
            e -> {
              RawLayer r = l();
              r.header("f", '0', 0).badChecksum().add();
              return r.end().bytes();
            },
            invalid,
            "f",
            "bad header checksum"));
    c.add(
        layer(
            "truncated-inside-header",
            e -> Arrays.copyOf(l().file("f", "hello").end().bytes(), 300),
            invalid,
            null,
            "ends inside a header block"));
    c.add(
        layer(
            "truncated-inside-content",
            e -> Arrays.copyOf(l().file("f", new byte[5000]).end().bytes(), 2048),
            invalid,
            "f",
            "ends inside the content"));
    c.add(
        layer(
            "truncated-gzip",
            e -> {
              byte[] gz = gzip(l().file("f", noise(200_000)).end().bytes());
              return Arrays.copyOf(gz, gz.length / 2);
            },
            invalid,
            null,
            "truncated or corrupt gzip stream"));
    c.add(
        layer(
            "corrupt-gzip-crc",
            e -> {
              byte[] gz = gzip(l().file("f", "hello").end().bytes());
              gz[gz.length - 6] ^= 0x55; // in the CRC-32 trailer
              return gz;
            },
            invalid,
            null,
            "corrupt gzip stream"));
    c.add(
        layer(
            "truncated-zstd",
            e -> {
              byte[] z = Zstd.compress(l().file("f", noise(200_000)).end().bytes());
              return Arrays.copyOf(z, z.length / 2);
            },
            invalid,
            null,
            "truncated or corrupt zstd stream"));
    c.add(
        layer(
            "gnu-sparse-typeflag",
            e -> {
              RawLayer r = l();
              r.header("sparse", 'S', 0).add();
              return r.end().bytes();
            },
            invalid,
            "sparse",
            "sparse files are not supported"));
    c.add(
        layer(
            "pax-sparse-bad-map",
            e ->
                l().pax(
                        "GNU.sparse.major=1",
                        "GNU.sparse.minor=0",
                        "GNU.sparse.map=1,x,-3",
                        "GNU.sparse.realsize=99999999999")
                    .file("sparse", "x")
                    .end()
                    .bytes(),
            invalid,
            "*",
            "sparse files are not supported"));
    c.add(
        layer(
            "pax-header-over-1mib",
            e -> l().pax("comment=" + "x".repeat(2 << 20)).file("f", "x").end().bytes(),
            invalid,
            "*",
            "exceeds the limit"));
    c.add(
        layer(
            "header-flood",
            e -> {
              RawLayer r = l();
              byte[] name = "n".repeat(500).getBytes(StandardCharsets.UTF_8);
              for (int i = 0; i < 9000; i++) {
                r.header("././@LongLink", 'L', name.length).add();
                r.data(name);
              }
              return r.file("f", "x").end().bytes();
            },
            invalid,
            null,
            "bytes of headers before a member"));
    c.add(
        layer(
            "uid-beyond-2pow32-pax",
            e -> l().pax("uid=4294967296").file("f", "x").end().bytes(),
            invalid,
            "f",
            "uid 4294967296 out of range"));
    c.add(
        layer(
            "uid-beyond-2pow32-base256",
            e -> {
              RawLayer r = l();
              r.header("f", '0', 0).base256(108, 8, 1L << 40).add();
              return r.end().bytes();
            },
            invalid,
            "f",
            "uid 1099511627776 out of range"));
    c.add(
        layer(
            "gid-negative-base256",
            e -> {
              RawLayer r = l();
              r.header("f", '0', 0).base256(116, 8, -1).add();
              return r.end().bytes();
            },
            invalid,
            "f",
            "gid -1 out of range"));
    c.add(
        layer(
            "mode-beyond-07777-and-type-bits",
            e -> {
              RawLayer r = l();
              r.header("f", '0', 0).mode(01000644).add();
              return r.end().bytes();
            },
            invalid,
            "f",
            "bits beyond the permission"));

    // ---- devices
    c.add(
        layer(
            "device-block-disk",
            e -> {
              RawLayer r = l();
              r.header("sda", '4', 0).mode(0660).device(8, 0).add();
              return r.end().bytes();
            },
            invalid,
            "sda",
            "block device 8:0 refused by device policy STANDARD"));
    c.add(
        layer(
            "device-char-mem",
            e -> {
              RawLayer r = l();
              r.header("mem", '3', 0).mode(0640).device(1, 1).add();
              return r.end().bytes();
            },
            invalid,
            "mem",
            "char device 1:1 refused by device policy STANDARD"));
    c.add(
        new Case(
            "device-null-under-policy-none",
            Shape.LAYER,
            e -> {
              RawLayer r = l();
              r.header("null", '3', 0).mode(0666).device(1, 3).add();
              return r.end().bytes();
            },
            null,
            invalid,
            "null",
            "char device 1:3 refused by device policy NONE",
            b -> b.devicePolicy(DevicePolicy.NONE)));

    // ---- decompression bombs
    c.add(
        new Case(
            "bomb-one-layer",
            Shape.LAYER,
            e -> gzip(l().file("zeros", new byte[4 << 20]).end().bytes()),
            null,
            invalid,
            null,
            "exceeds the limit of 1048576 bytes",
            b -> b.maxLayerBytes(1 << 20)));
    c.add(
        new Case(
            "bomb-spread-over-layers",
            Shape.ARCHIVE,
            null,
            (env, base) -> {
              SaveArchive a = new SaveArchive();
              for (int i = 0; i < 3; i++) {
                a.layer(l().file("zeros" + i, new byte[400_000]).end().bytes());
              }
              return a;
            },
            invalid,
            null,
            "per-image limit of 1048576 bytes",
            b -> b.maxImageBytes(1 << 20)));

    // ---- rollback of a half-applied layer must not follow what the layer planted
    c.add(
        layer(
            "rollback-after-planting-links",
            e -> planted(e).file("../late", "x").end().bytes(),
            unsafe,
            "../late",
            "\"..\""));
    c.add(
        archive(
            "rollback-after-diffid-mismatch",
            (env, base) ->
                new SaveArchive()
                    .layer(planted(env).end().bytes())
                    .diffId(0, "sha256:" + "ef".repeat(32)),
            DigestMismatchException.class,
            null,
            "invalid diffID for layer 0"));

    // ---- docker save archives
    c.add(
        archive(
            "manifest-layer-dotdot",
            (env, base) -> new SaveArchive().layer(base).layerNames(List.of("../../../etc/passwd")),
            invalid,
            "../../../etc/passwd",
            "path leaves the archive"));
    c.add(
        archiveNamingCanary(
            "manifest-layer-absolute-host-path",
            (env, base) ->
                new SaveArchive().layer(base).layerNames(List.of(env.canaryAbs() + "/keep")),
            invalid,
            "no such file in the archive"));
    c.add(
        archive(
            "manifest-layer-symlink-escape",
            (env, base) ->
                new SaveArchive()
                    .layer(base)
                    .symlink("evil.tar", "../../../../etc/passwd")
                    .layerNames(List.of("evil.tar")),
            invalid,
            "evil.tar",
            "path leaves the archive"));
    c.add(
        archive(
            "manifest-config-dotdot",
            (env, base) ->
                new SaveArchive()
                    .layer(base)
                    .manifest("[{\"Config\":\"../config.json\",\"RepoTags\":null,\"Layers\":[]}]"),
            invalid,
            "../config.json",
            "path leaves the archive"));
    c.add(
        archive(
            "manifest-diffid-not-the-configs",
            (env, base) -> new SaveArchive().layer(base).diffId(0, "sha256:" + "ab".repeat(32)),
            DigestMismatchException.class,
            null,
            "invalid diffID for layer 0"));
    c.add(
        archive(
            "manifest-layer-count-mismatch",
            (env, base) ->
                new SaveArchive()
                    .layer(base)
                    .config(
                        "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
                            + "ab".repeat(32)
                            + "\",\"sha256:"
                            + "cd".repeat(32)
                            + "\"]}}"),
            invalid,
            "manifest.json",
            "layers length mismatch"));
    c.add(
        archive(
            "config-absurd-number-of-layers",
            (env, base) ->
                new SaveArchive()
                    .layer(base)
                    .config(
                        "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                            + String.join(
                                ",",
                                Collections.nCopies(200_000, "\"sha256:" + "ab".repeat(32) + "\""))
                            + "]}}"),
            invalid,
            null,
            "200000 layers; at most 125"));
    c.add(
        archive(
            "config-126-layers",
            (env, base) ->
                new SaveArchive()
                    .layer(base)
                    .config(
                        "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                            + String.join(
                                ",", Collections.nCopies(126, "\"sha256:" + "ab".repeat(32) + "\""))
                            + "]}}"),
            invalid,
            null,
            "126 layers; at most 125"));
    c.add(
        archive(
            "manifest-not-json",
            (env, base) -> new SaveArchive().layer(base).manifest("[{\"Config\": oops"),
            invalid,
            "manifest.json",
            "not valid JSON"));
    c.add(
        archive(
            "manifest-not-an-array",
            (env, base) -> new SaveArchive().layer(base).manifest("{\"Config\":\"x\"}"),
            invalid,
            "manifest.json",
            "not a JSON array"));
    c.add(
        archive(
            "manifest-nested-100000-deep",
            (env, base) ->
                new SaveArchive().layer(base).manifest("[".repeat(100_000) + "]".repeat(100_000)),
            invalid,
            "manifest.json",
            "not valid JSON"));
    c.add(
        archive(
            "config-not-json",
            (env, base) -> new SaveArchive().layer(base).config("{\"rootfs\": %s"),
            invalid,
            null,
            "image config is not valid JSON"));
    c.add(
        archive(
            "manifest-10001-images",
            (env, base) ->
                new SaveArchive()
                    .layer(base)
                    .manifest("[" + String.join(",", Collections.nCopies(10_001, "{}")) + "]"),
            invalid,
            "manifest.json",
            "more than 10000"));
    c.add(
        archive(
            "manifest-over-16mib",
            (env, base) -> new SaveArchive().layer(base).manifest("[" + " ".repeat(17 << 20) + "]"),
            invalid,
            "manifest.json",
            "more than the 16777216 allowed"));
    return c;
  }

  /** Links into the canary, a read-only directory with content, a hardlink: for rollback cases. */
  private static RawLayer planted(Env e) {
    RawLayer r =
        l().symlink("to-canary", e.canaryAbs())
            .symlink("to-canary-keep", e.canaryAbs() + "/keep")
            .dir("d/")
            .symlink("d/up", "../../../../../../..");
    r.header("ro/", '5', 0).mode(0555).add();
    r.header("ro/f", '0', 1).mode(0444).add().data(new byte[] {'x'});
    return r.hardlink("ro/g", "ro/f");
  }

  private static RawLayer l() {
    return new RawLayer();
  }

  private static Case layer(
      String name,
      Function<Env, byte[]> layer,
      Class<? extends Exception> ex,
      String entry,
      String reason) {
    return new Case(name, Shape.LAYER, layer, null, ex, entry, reason, DEFAULTS);
  }

  private static Case lower(
      String name,
      Function<Env, byte[]> layer,
      Class<? extends Exception> ex,
      String entry,
      String reason) {
    return new Case(name, Shape.LOWER, layer, null, ex, entry, reason, DEFAULTS);
  }

  private static Case archive(
      String name, ArchiveMaker a, Class<? extends Exception> ex, String entry, String reason) {
    return new Case(name, Shape.ARCHIVE, null, a, ex, entry, reason, DEFAULTS);
  }

  /** An archive case whose expected entry depends on the environment (resolved at run time). */
  private static Case archiveNamingCanary(
      String name, ArchiveMaker a, Class<? extends Exception> ex, String reason) {
    return new Case(name, Shape.ARCHIVE, null, a, ex, "${canary}/keep", reason, DEFAULTS);
  }

  static byte[] gzip(byte[] data) {
    try {
      ByteArrayOutputStream bo = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(bo)) {
        gz.write(data);
      }
      return bo.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] noise(int n) {
    byte[] b = new byte[n];
    new java.util.Random(n).nextBytes(b);
    return b;
  }

  /** Where an env-dependent expected entry is resolved. */
  static String expectedEntry(Case c, Env env) {
    return c.entry() == null ? null : c.entry().replace("${canary}", env.canaryAbs());
  }

  static Path fileFor(Path dir, Case c, String suffix) {
    return dir.resolve(c.name() + suffix);
  }
}

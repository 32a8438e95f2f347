package io.layerstore.build.internal;

import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import io.layerstore.build.LayerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * One layer's members, worked out from its {@link LayerSpec} before anything is written: every
 * source is stat'ed (and refused, naming it, if it is missing, a loop or a special file), every
 * member gets its final attributes, implicit parent directories are added, and the members are
 * sorted so that parents come before their children. The same pass gives the layer's cache key.
 *
 * <p>Nothing here writes: a bad input fails before the store is touched.
 */
final class LayerPlan {

  /** The cache key's format; change it whenever what a key covers, or the tar bytes, change. */
  private static final String KEY_VERSION = "layerstore-build-v1";

  static final int DIR_MODE = 0755;
  static final int FILE_MODE = 0644;

  /**
   * One tar member.
   *
   * @param name clean relative path, no trailing slash
   * @param source the file to copy ({@link SourceStat.Kind#FILE} from disk), else null
   * @param bytes the content of a bytes member, else null
   * @param link a symlink's target, else null
   * @param facts what the cache key records of the source
   */
  record Member(
      String name,
      SourceStat.Kind kind,
      int mode,
      long uid,
      long gid,
      Instant mtime,
      long size,
      Path source,
      byte[] bytes,
      String link,
      String facts) {}

  /**
   * Parents before children, siblings by name: '/' sorts before every other character, so {@code
   * a/b} comes right after {@code a} and before {@code a-b}.
   */
  static final Comparator<String> TAR_ORDER =
      (x, y) -> {
        int n = Math.min(x.length(), y.length());
        for (int i = 0; i < n; i++) {
          char a = x.charAt(i);
          char b = y.charAt(i);
          if (a != b) {
            return (a == '/' ? 0 : a) - (b == '/' ? 0 : b);
          }
        }
        return x.length() - y.length();
      };

  private final LayerSpec spec;
  private final String label;
  private final TreeMap<String, Member> members = new TreeMap<>(TAR_ORDER);

  private LayerPlan(LayerSpec spec, String label) {
    this.spec = spec;
    this.label = label;
  }

  /**
   * Reads every source of {@code spec}.
   *
   * @param label how errors name the layer, e.g. "layer 2"
   * @throws io.layerstore.NotFoundException if a source does not exist
   * @throws InvalidArchiveException if a source is a symlink loop or a special file, or two entries
   *     conflict (a file where another entry needs a directory)
   */
  static LayerPlan of(LayerSpec spec, String label) throws IOException {
    LayerPlan plan = new LayerPlan(spec, label);
    for (LayerSpec.Entry e : spec.entries()) {
      plan.add(e);
    }
    plan.addParents();
    return plan;
  }

  List<Member> members() {
    return List.copyOf(members.values());
  }

  String label() {
    return label;
  }

  private void add(LayerSpec.Entry e) throws IOException {
    switch (e.kind()) {
      case BYTES -> {
        byte[] b = e.content();
        put(
            new Member(
                e.target(),
                SourceStat.Kind.FILE,
                fileMode(null),
                spec.uid(),
                spec.gid(),
                spec.mtime(),
                b.length,
                null,
                b,
                null,
                "bytes " + Digest.of(b)));
      }
      case SYMLINK -> {
        String link = new String(e.content(), StandardCharsets.UTF_8);
        put(symlink(e.target(), link, spec.mtime(), "symlink"));
      }
      case FILE -> {
        SourceStat st = SourceStat.read(e.source(), true, "build source");
        if (st.kind() != SourceStat.Kind.FILE) {
          throw new InvalidArchiveException(
              e.source().toString(), null, "build source is a directory; add it as a directory");
        }
        put(file(e.target(), e.source(), st));
      }
      case DIRECTORY -> addTree(e.source(), e.target());
    }
  }

  private void addTree(Path root, String target) throws IOException {
    SourceStat top = SourceStat.read(root, true, "build source");
    if (top.kind() != SourceStat.Kind.DIRECTORY) {
      throw new InvalidArchiveException(
          root.toString(), null, "build source is not a directory; add it as a file");
    }
    if (!target.isEmpty()) {
      put(directory(target, root, top));
    }
    Set<Object> ancestors = new HashSet<>();
    ancestors.add(top.identity());
    addChildren(root, target, ancestors);
  }

  /**
   * Adds what is below {@code dir}, one {@code stat} per entry (the walk is most of a rebuild's
   * time). Followed symlinks may lead back to a directory being walked: {@code ancestors} holds the
   * identities of the directories on the way down, and meeting one again is a loop.
   */
  private void addChildren(Path dir, String name, Set<Object> ancestors) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(children::add);
    }
    boolean follow = spec.followSymlinks();
    for (Path child : children) {
      String childName = (name.isEmpty() ? "" : name + "/") + child.getFileName().toString();
      SourceStat st = SourceStat.read(child, follow, "build source");
      switch (st.kind()) {
        case DIRECTORY -> {
          if (!ancestors.add(st.identity())) {
            throw new InvalidArchiveException(
                child.toString(),
                null,
                "build source has a symlink loop: it leads back to a directory above it");
          }
          put(directory(childName, child, st));
          addChildren(child, childName, ancestors);
          ancestors.remove(st.identity());
        }
        case SYMLINK ->
            put(
                symlink(
                    childName, Files.readSymbolicLink(child).toString(), mtime(st), st.facts()));
        case FILE -> put(file(childName, child, st));
      }
    }
  }

  private Member file(String name, Path source, SourceStat st) {
    return new Member(
        name,
        SourceStat.Kind.FILE,
        fileMode(st),
        spec.uid(),
        spec.gid(),
        mtime(st),
        st.size(),
        source,
        null,
        null,
        source + " " + st.facts());
  }

  private Member directory(String name, Path source, SourceStat st) {
    int mode =
        switch (spec.permissions()) {
          case DEFAULT -> DIR_MODE;
          case KEEP -> st.mode();
          case EXPLICIT -> spec.mode();
        };
    return new Member(
        name,
        SourceStat.Kind.DIRECTORY,
        mode,
        spec.uid(),
        spec.gid(),
        mtime(st),
        0,
        null,
        null,
        null,
        source + " " + st.facts());
  }

  private Member symlink(String name, String link, Instant mtime, String facts) {
    return new Member(
        name,
        SourceStat.Kind.SYMLINK,
        0777,
        spec.uid(),
        spec.gid(),
        mtime,
        0,
        null,
        null,
        link,
        facts + " -> " + link);
  }

  private int fileMode(SourceStat st) {
    return switch (spec.permissions()) {
      case DEFAULT -> FILE_MODE;
      case KEEP -> st == null ? FILE_MODE : st.mode();
      case EXPLICIT -> spec.mode();
    };
  }

  private Instant mtime(SourceStat st) {
    if (spec.mtimes() == LayerSpec.Mtimes.KEEP) {
      return Instant.ofEpochSecond(Math.floorDiv(st.mtimeNanos(), 1_000_000_000L));
    }
    return spec.mtime();
  }

  /** A later entry for the same path replaces an earlier one, as a later COPY does. */
  private void put(Member m) {
    members.put(m.name(), m);
  }

  /**
   * Adds the directories the members need but no entry names, with fixed attributes (Jib's way:
   * {@code 0755}, root's, the layer's fixed time), and refuses a member under a non-directory.
   */
  private void addParents() throws InvalidArchiveException {
    for (Member m : List.copyOf(members.values())) {
      String name = m.name();
      for (int i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
        String parent = name.substring(0, i);
        Member p = members.get(parent);
        if (p == null) {
          members.put(
              parent,
              new Member(
                  parent,
                  SourceStat.Kind.DIRECTORY,
                  DIR_MODE,
                  0,
                  0,
                  spec.mtime(),
                  0,
                  null,
                  null,
                  null,
                  "implicit"));
        } else if (p.kind() != SourceStat.Kind.DIRECTORY) {
          throw new InvalidArchiveException(
              label,
              name,
              "/"
                  + parent
                  + " is a "
                  + (p.kind() == SourceStat.Kind.SYMLINK ? "symlink" : "file")
                  + " in this layer, so /"
                  + name
                  + " cannot be under it");
        }
      }
    }
  }

  /**
   * The layer's cache key: a digest of the options and, for every member, its path, kind and source
   * facts (path, size, mtime, mode, owner; or the content's hash when the spec asks for content
   * hashes). Two plans with the same key make the same tar.
   */
  Digest cacheKey() throws IOException {
    MessageDigest md = Digest.newSha256();
    StringBuilder sb = new StringBuilder(KEY_VERSION).append('\n');
    sb.append(spec.permissions())
        .append(' ')
        .append(Integer.toOctalString(spec.mode()))
        .append(' ')
        .append(spec.uid())
        .append(':')
        .append(spec.gid())
        .append(' ')
        .append(spec.mtimes())
        .append(' ')
        .append(spec.mtime().getEpochSecond())
        .append('\n');
    update(md, sb);
    for (Member m : members.values()) {
      sb.append(m.name()).append('\0').append(m.kind()).append(' ');
      if (spec.hashContents() && m.source() != null) {
        sb.append(contentHash(m.source()))
            .append(' ')
            .append(m.mode())
            .append(' ')
            .append(m.mtime());
      } else {
        sb.append(m.facts());
      }
      sb.append('\n');
      update(md, sb);
    }
    return Digest.fromBytes(md.digest());
  }

  private static void update(MessageDigest md, StringBuilder sb) {
    md.update(sb.toString().getBytes(StandardCharsets.UTF_8));
    sb.setLength(0);
  }

  private static Digest contentHash(Path file) throws IOException {
    MessageDigest md = Digest.newSha256();
    byte[] buf = new byte[64 << 10];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return Digest.fromBytes(md.digest());
  }
}

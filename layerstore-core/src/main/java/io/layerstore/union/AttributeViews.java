package io.layerstore.union;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The attribute views the union supports, by name and by class: {@code basic}, {@code owner},
 * {@code posix} and {@code unix} from the winning branch's {@code NodeStat}, and {@code user} from
 * the node's {@code user.*} xattrs. Any change copies the node up first.
 */
final class AttributeViews {

  static final Set<String> NAMES = Set.of("basic", "owner", "posix", "unix", "user");

  private final UnionOperations ops;
  private final long dev;

  AttributeViews(UnionOperations ops, long dev) {
    this.ops = ops;
    this.dev = dev;
  }

  NodeAttributes read(UnionPath path, boolean follow) throws IOException {
    return new NodeAttributes(ops.node(path, follow), dev);
  }

  @SuppressWarnings("unchecked")
  <A extends BasicFileAttributes> A read(UnionPath path, Class<A> type, boolean follow)
      throws IOException {
    if (type == BasicFileAttributes.class || type == PosixFileAttributes.class) {
      return (A) read(path, follow);
    }
    throw new UnsupportedOperationException("attributes of type " + type.getName());
  }

  @SuppressWarnings("unchecked")
  <V extends FileAttributeView> V view(UnionPath path, Class<V> type, boolean follow) {
    if (type == BasicFileAttributeView.class) {
      return (V) new PosixView("basic", path, follow);
    }
    if (type == FileOwnerAttributeView.class) {
      return (V) new PosixView("owner", path, follow);
    }
    if (type == PosixFileAttributeView.class) {
      return (V) new PosixView("posix", path, follow);
    }
    if (type == UserDefinedFileAttributeView.class) {
      return (V) new XattrView(ops, path, follow);
    }
    return null;
  }

  /** {@code Files.readAttributes(path, "view:a,b")}. */
  Map<String, Object> read(UnionPath path, String spec, boolean follow) throws IOException {
    int colon = spec.indexOf(':');
    String view = colon < 0 ? "basic" : spec.substring(0, colon);
    String wanted = colon < 0 ? spec : spec.substring(colon + 1);
    if (!NAMES.contains(view)) {
      throw new UnsupportedOperationException("view '" + view + "' is not supported");
    }
    Map<String, Object> all;
    if (view.equals("user")) {
      all = new LinkedHashMap<>();
      XattrView xattrs = new XattrView(ops, path, follow);
      for (Map.Entry<String, byte[]> entry : xattrs.all().entrySet()) {
        all.put(entry.getKey(), entry.getValue());
      }
    } else {
      all = read(path, follow).asMap(view);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    for (String name : wanted.split(",")) {
      if (name.equals("*")) {
        result.putAll(all);
      } else if (all.containsKey(name)) {
        result.put(name, all.get(name));
      } else if (!view.equals("user")) {
        throw new IllegalArgumentException("'" + name + "' is not an attribute of view " + view);
      }
    }
    return result;
  }

  /** {@code Files.setAttribute(path, "view:name", value)}. */
  void set(UnionPath path, String attribute, Object value, boolean follow) throws IOException {
    int colon = attribute.indexOf(':');
    String view = colon < 0 ? "basic" : attribute.substring(0, colon);
    String name = colon < 0 ? attribute : attribute.substring(colon + 1);
    if (!NAMES.contains(view)) {
      throw new UnsupportedOperationException("view '" + view + "' is not supported");
    }
    if (view.equals("user")) {
      ByteBuffer bytes =
          value instanceof byte[] ? ByteBuffer.wrap((byte[]) value) : (ByteBuffer) value;
      new XattrView(ops, path, follow).write(name, bytes);
      return;
    }
    PosixView target = new PosixView(view, path, follow);
    switch (name) {
      case "lastModifiedTime":
        target.setTimes((FileTime) value, null, null);
        return;
      case "lastAccessTime":
        target.setTimes(null, (FileTime) value, null);
        return;
      case "creationTime":
        target.setTimes(null, null, (FileTime) value);
        return;
      default:
        break;
    }
    if (view.equals("basic")) {
      throw new IllegalArgumentException("'" + name + "' cannot be set in view basic");
    }
    if (name.equals("owner")) {
      target.setOwner((UserPrincipal) value);
      return;
    }
    if (view.equals("owner")) {
      throw new IllegalArgumentException("'" + name + "' cannot be set in view owner");
    }
    switch (name) {
      case "permissions":
        target.setPermissions(Modes.permissionSet(value));
        return;
      case "group":
        target.setGroup((GroupPrincipal) value);
        return;
      default:
        break;
    }
    if (view.equals("unix")) {
      switch (name) {
        case "mode":
          int mode = (Integer) value;
          ops.modifyUpper(
              path, follow, (tree, backing, node) -> tree.setMode(backing, mode & 07777));
          return;
        case "uid":
          long uid = Integer.toUnsignedLong((Integer) value);
          ops.modifyUpper(
              path,
              follow,
              (tree, backing, node) -> tree.setOwner(backing, uid, node.stat().gid()));
          return;
        case "gid":
          long gid = Integer.toUnsignedLong((Integer) value);
          ops.modifyUpper(
              path,
              follow,
              (tree, backing, node) -> tree.setOwner(backing, node.stat().uid(), gid));
          return;
        default:
          break;
      }
    }
    throw new IllegalArgumentException("'" + name + "' cannot be set in view " + view);
  }

  /** basic, owner and posix views in one class; they differ only in name. */
  private final class PosixView implements PosixFileAttributeView {
    private final String name;
    private final UnionPath path;
    private final boolean follow;

    PosixView(String name, UnionPath path, boolean follow) {
      this.name = name;
      this.path = path;
      this.follow = follow;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public PosixFileAttributes readAttributes() throws IOException {
      return path.getFileSystem().use(() -> read(path, follow));
    }

    @Override
    public void setTimes(FileTime modified, FileTime accessed, FileTime created)
        throws IOException {
      path.getFileSystem()
          .use(
              () -> {
                ops.setTimes(path, follow, modified, accessed);
                return null;
              });
    }

    /** Like chmod(2) with a {@code rwx} set: setuid, setgid and sticky are cleared. */
    @Override
    public void setPermissions(Set<PosixFilePermission> permissions) throws IOException {
      int mode = Modes.bits(permissions);
      change((tree, backing, node) -> tree.setMode(backing, mode));
    }

    @Override
    public UserPrincipal getOwner() throws IOException {
      return readAttributes().owner();
    }

    @Override
    public void setOwner(UserPrincipal owner) throws IOException {
      long uid = NumericPrincipals.uid(owner);
      change((tree, backing, node) -> tree.setOwner(backing, uid, node.stat().gid()));
    }

    @Override
    public void setGroup(GroupPrincipal group) throws IOException {
      long gid = NumericPrincipals.gid(group);
      change((tree, backing, node) -> tree.setOwner(backing, node.stat().uid(), gid));
    }

    private void change(UnionOperations.UpperChange change) throws IOException {
      path.getFileSystem()
          .use(
              () -> {
                ops.modifyUpper(path, follow, change);
                return null;
              });
    }
  }
}

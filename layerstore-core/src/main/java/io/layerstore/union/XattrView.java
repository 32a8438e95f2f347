package io.layerstore.union;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code user} view: the winning node's {@code user.*} extended attributes, names without the
 * prefix, as the default provider shows them on Linux. Writing copies the node up first.
 */
final class XattrView implements UserDefinedFileAttributeView {

  private static final String PREFIX = "user.";

  private final UnionOperations ops;
  private final UnionPath path;
  private final boolean follow;

  XattrView(UnionOperations ops, UnionPath path, boolean follow) {
    this.ops = ops;
    this.path = path;
    this.follow = follow;
  }

  @Override
  public String name() {
    return "user";
  }

  /** Every {@code user.} attribute, name without prefix to value. */
  Map<String, byte[]> all() throws IOException {
    Map<String, byte[]> all =
        path.getFileSystem()
            .use(
                () -> {
                  Node node = ops.node(path, follow);
                  return ops.branches().tree(node.top().branch()).xattrs(node.top().path());
                });
    Map<String, byte[]> user = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> entry : all.entrySet()) {
      if (entry.getKey().startsWith(PREFIX)) {
        user.put(entry.getKey().substring(PREFIX.length()), entry.getValue());
      }
    }
    return user;
  }

  private byte[] get(String name) throws IOException {
    byte[] value =
        path.getFileSystem()
            .use(
                () -> {
                  Node node = ops.node(path, follow);
                  return ops.branches()
                      .tree(node.top().branch())
                      .getXattr(node.top().path(), PREFIX + name);
                });
    if (value == null) {
      throw new FileSystemException(path.toString(), null, "No data available: user." + name);
    }
    return value;
  }

  @Override
  public List<String> list() throws IOException {
    return new ArrayList<>(all().keySet());
  }

  @Override
  public int size(String name) throws IOException {
    return get(name).length;
  }

  @Override
  public int read(String name, ByteBuffer dst) throws IOException {
    byte[] value = get(name);
    if (dst.remaining() < value.length) {
      throw new IOException("buffer too small for user." + name + " (" + value.length + " bytes)");
    }
    dst.put(value);
    return value.length;
  }

  @Override
  public int write(String name, ByteBuffer src) throws IOException {
    byte[] value = new byte[src.remaining()];
    src.get(value);
    change((tree, backing, node) -> tree.setXattr(backing, PREFIX + name, value));
    return value.length;
  }

  @Override
  public void delete(String name) throws IOException {
    get(name); // like removexattr(2): ENODATA, and no copy-up, when there is nothing to remove
    change((tree, backing, node) -> tree.removeXattr(backing, PREFIX + name));
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

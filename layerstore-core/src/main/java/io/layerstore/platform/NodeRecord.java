package io.layerstore.platform;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What an emulated tree knows about one node beyond what its file system holds. One record per node
 * (inode), not per name: hardlinks share it. Mutable, and guarded by the owning tree's lock.
 */
final class NodeRecord {
  /** The node's file key while this tree is open, or {@code null} if the file system has none. */
  Object key;

  /** The names (record names, see {@link TreePaths}) this node is known by. */
  final TreeSet<String> names = new TreeSet<>();

  /** What a placeholder file really is (char, block, fifo, socket); {@code null} otherwise. */
  NodeKind kind;

  int major;
  int minor;
  long uid;
  long gid;

  /** Permission bits ({@code 07777}), or {@code -1}: as the file system shows them. */
  int mode = -1;

  final TreeMap<String, byte[]> xattrs = new TreeMap<>();

  /** Whether the record says nothing a record-less node would not: it can be dropped. */
  boolean isEmpty() {
    return kind == null && uid == 0 && gid == 0 && mode < 0 && xattrs.isEmpty();
  }

  /** A record with the same values, no names and no key. */
  NodeRecord copyValues() {
    NodeRecord r = new NodeRecord();
    r.kind = kind;
    r.major = major;
    r.minor = minor;
    r.uid = uid;
    r.gid = gid;
    r.mode = mode;
    for (Map.Entry<String, byte[]> e : xattrs.entrySet()) {
      r.xattrs.put(e.getKey(), e.getValue().clone());
    }
    return r;
  }
}

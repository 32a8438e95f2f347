package io.layerstore.platform;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * An emulated tree's records, found by name and by file key. Only bookkeeping: whether a record
 * still belongs to the node now at a name is decided by {@link EmulatedTree}, which can look at the
 * file system.
 *
 * <p>Invariant: a record is reachable by each of its names, and by its key when it has one; a
 * record with neither is gone. Records whose every known name was deleted while the node lived on
 * under another name stay reachable by key, listed in {@link #nameless()} until the tree finds them
 * a name again.
 */
final class RecordIndex {
  private final NavigableMap<String, NodeRecord> byName = new TreeMap<>();
  private final Map<Object, NodeRecord> byKey = new HashMap<>();
  private final Set<NodeRecord> nameless = Collections.newSetFromMap(new IdentityHashMap<>());

  NodeRecord byName(String name) {
    return byName.get(name);
  }

  NodeRecord byKey(Object key) {
    return key == null ? null : byKey.get(key);
  }

  /** Adds a record with its key and names, replacing whatever held them before. */
  void add(NodeRecord r) {
    if (r.key != null) {
      NodeRecord old = byKey.get(r.key);
      if (old != null && old != r) {
        remove(old);
      }
      byKey.put(r.key, r);
    }
    for (String name : new ArrayList<>(r.names)) {
      attach(r, name);
    }
    if (r.names.isEmpty()) {
      nameless.add(r);
    }
  }

  /** Gives record {@code r} the name {@code name}, taking it from any record that had it. */
  void attach(NodeRecord r, String name) {
    NodeRecord old = byName.get(name);
    if (old != null && old != r) {
      detach(name);
    }
    r.names.add(name);
    byName.put(name, r);
    nameless.remove(r);
  }

  /**
   * Takes {@code name} away from its record. A record left without names is kept by key (the node
   * may live on as a hardlink) when {@code mayLiveOn}, else dropped.
   */
  void detach(String name, boolean mayLiveOn) {
    NodeRecord r = byName.remove(name);
    if (r == null) {
      return;
    }
    r.names.remove(name);
    if (r.names.isEmpty()) {
      if (mayLiveOn && r.key != null) {
        nameless.add(r);
      } else {
        remove(r);
      }
    }
  }

  /** Takes {@code name} away from its record, dropping the record if it has no other name. */
  void detach(String name) {
    detach(name, false);
  }

  void remove(NodeRecord r) {
    for (String name : r.names) {
      byName.remove(name, r);
    }
    r.names.clear();
    if (r.key != null) {
      byKey.remove(r.key, r);
    }
    nameless.remove(r);
  }

  /** The distinct records with a name at or below {@code dir}. */
  List<NodeRecord> under(String dir) {
    Set<NodeRecord> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<NodeRecord> out = new ArrayList<>();
    for (NodeRecord r : namesUnder(dir).values()) {
      if (seen.add(r)) {
        out.add(r);
      }
    }
    return out;
  }

  /** Renames every name at or below {@code from} to lie at or below {@code to}. */
  void rename(String from, String to) {
    // Whatever still claims a name under the target is stale: the target did not exist.
    for (String name : new ArrayList<>(namesUnder(to).keySet())) {
      detach(name);
    }
    List<Map.Entry<String, NodeRecord>> moving = new ArrayList<>(namesUnder(from).entrySet());
    for (Map.Entry<String, NodeRecord> e : moving) {
      byName.remove(e.getKey());
      e.getValue().names.remove(e.getKey());
    }
    for (Map.Entry<String, NodeRecord> e : moving) {
      String name = to + e.getKey().substring(from.length());
      NodeRecord r = e.getValue();
      r.names.add(name);
      byName.put(name, r);
    }
  }

  Set<NodeRecord> nameless() {
    return nameless;
  }

  /** Every record, each once. */
  Collection<NodeRecord> all() {
    Set<NodeRecord> all = Collections.newSetFromMap(new IdentityHashMap<>());
    all.addAll(byName.values());
    all.addAll(byKey.values());
    all.addAll(nameless);
    return all;
  }

  private NavigableMap<String, NodeRecord> namesUnder(String dir) {
    if (dir.isEmpty()) {
      return byName;
    }
    // Everything starting with "dir/" sorts from "dir/" to just before "dir0" ('0' follows '/').
    NavigableMap<String, NodeRecord> below = byName.subMap(dir + "/", true, dir + "0", false);
    NodeRecord self = byName.get(dir);
    if (self == null) {
      return below;
    }
    NavigableMap<String, NodeRecord> both = new TreeMap<>(below);
    both.put(dir, self);
    return both;
  }
}

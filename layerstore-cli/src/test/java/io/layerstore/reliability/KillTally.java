package io.layerstore.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What the kills of one operation in the crash harness hit, and the check that they hit what the
 * harness claims to test: a kill proves something only if it lands while the command is changing
 * the store. A kill during start-up, or after the change was published (the JVM shutting down), is
 * counted apart and proves nothing.
 */
final class KillTally {

  /**
   * Where a kill landed, as the store's own directories show it before the store is opened again.
   */
  enum Phase {
    /** Nothing of the change on disk and the store shows the old state: start-up, or reading. */
    BEFORE,
    /** Layers staged ({@code layerdb/tmp/write-set-*}) and no change recorded yet. */
    STAGING,
    /**
     * A change recorded in the journal ({@code layerstore/journal/*.json}) or a layer half removed.
     */
    PUBLISHING,
    /** Nothing left over and the store shows the new state: the change was complete. */
    AFTER
  }

  final String op;

  /** Whether the operation stages layers (load, commit) or only publishes (remove). */
  final boolean stages;

  private final Map<Phase, Integer> kills = new EnumMap<>(Phase.class);
  int finishedFirst;
  int oldState;
  int newState;
  int withJournal;
  int withStaging;
  int deepChecks;
  int inconsistent;
  int orphans;
  int unused;

  KillTally(String op, boolean stages) {
    this.op = op;
    this.stages = stages;
    for (Phase p : Phase.values()) {
      kills.put(p, 0);
    }
  }

  void killed(Phase p) {
    kills.merge(p, 1, Integer::sum);
  }

  int kills(Phase p) {
    return kills.get(p);
  }

  /** Every SIGKILL sent, wherever it landed. */
  int kills() {
    return kills.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The kills that landed while the command was changing the store. */
  int landed() {
    return kills(Phase.STAGING) + kills(Phase.PUBLISHING);
  }

  /**
   * Fails unless the run proves what the harness claims: at least {@code wanted} kills landed
   * mid-operation; for an operation that stages, at least a third of all kills landed while
   * staging; some landed while publishing; and some left a change in the journal for the next open
   * to finish.
   */
  void assertLanded(int wanted) {
    List<String> missing = shortfalls(wanted);
    assertTrue(missing.isEmpty(), () -> op + ": " + String.join("; ", missing) + ": " + this);
  }

  /** Whether the kills so far prove enough (the harness stops killing then). */
  boolean enough(int wanted) {
    return shortfalls(wanted).isEmpty();
  }

  private List<String> shortfalls(int wanted) {
    List<String> out = new ArrayList<>();
    if (landed() < wanted) {
      out.add("only " + landed() + " of " + wanted + " kills landed mid-operation");
    }
    if (stages && 3 * kills(Phase.STAGING) < kills()) {
      out.add("fewer than a third of the kills landed while staging");
    }
    if (kills(Phase.PUBLISHING) == 0) {
      out.add("no kill landed while publishing");
    }
    if (withJournal == 0) {
      out.add("no kill left a change to finish");
    }
    return out;
  }

  @Override
  public String toString() {
    return op
        + ": "
        + kills()
        + " kills: "
        + kills(Phase.STAGING)
        + " while staging, "
        + kills(Phase.PUBLISHING)
        + " while publishing, "
        + kills(Phase.BEFORE)
        + " before any change, "
        + kills(Phase.AFTER)
        + " after the change was complete (+"
        + finishedFirst
        + " runs that ran to their end); "
        + oldState
        + " showed the old state, "
        + newState
        + " the new; "
        + withJournal
        + " left a change to finish, "
        + withStaging
        + " left staged layers; "
        + deepChecks
        + " deep checks; after open: "
        + inconsistent
        + " inconsistent stores, "
        + orphans
        + " orphans, "
        + unused
        + " unused layers";
  }
}

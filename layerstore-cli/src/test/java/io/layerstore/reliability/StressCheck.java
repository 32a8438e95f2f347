package io.layerstore.reliability;

import io.layerstore.reliability.StressWorker.Event;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What makes a stress run count: enough operations of each kind succeeded, and every refusal had a
 * cause in the workload — a NotFound, another operation that deleted the image (or untagged the
 * name) while this one ran; a Conflict, the image in use (mounted, a container on it, a child image
 * committed on it) or tagged more than once, by what the events show.
 */
final class StressCheck {

  private StressCheck() {}

  /** Every shortfall and every refusal without a cause; empty when the run proves its point. */
  static List<String> problems(Collection<Event> events, Map<String, Integer> minimums) {
    List<String> out = new ArrayList<>();
    minimums.forEach(
        (op, min) -> {
          long done =
              events.stream().filter(e -> e.op().equals(op) && e.outcome().equals("done")).count();
          if (done < min) {
            out.add(
                "only " + done + " successful " + op + " operations, at least " + min + " wanted");
          }
        });
    for (Event e : events) {
      boolean explained =
          switch (e.outcome()) {
            case "gone" -> goneExplained(e, events);
            case "refused" -> refusalExplained(e, events);
            default -> true;
          };
      if (!explained) {
        out.add("no cause in the workload for " + e);
      }
    }
    return out;
  }

  /** The image (or the name) went while the operation ran: another removal took it. */
  private static boolean goneExplained(Event e, Collection<Event> events) {
    return e.id() != null
        && events.stream()
            .anyMatch(
                c ->
                    c.op().equals("remove")
                        && c.outcome().equals("done")
                        && overlaps(c, e)
                        && (c.deleted().contains(e.id())
                            || (e.name() != null && c.untagged().contains(e.name()))));
  }

  private static boolean refusalExplained(Event e, Collection<Event> events) {
    if (!e.op().equals("remove") || e.error() == null) {
      return false; // the workload refuses nothing else
    }
    String why = e.error();
    if (why.contains("referenced in multiple repositories")) {
      // by id, not forced, and the image had two names then, or got one meanwhile
      return !e.forced()
          && (e.tags().size() > 1
              || events.stream()
                  .anyMatch(
                      c ->
                          (c.op().equals("tag") || c.op().equals("load"))
                              && c.outcome().equals("done")
                              && e.id().equals(c.id())
                              && overlaps(c, e)));
    }
    if (why.contains("dependent child images")) {
      return !e.forced()
          && events.stream()
              .anyMatch(
                  c ->
                      c.op().equals("commit")
                          && c.outcome().equals("done")
                          && refusedFor(e, c.id())
                          && c.picked() <= e.end());
    }
    if (why.contains("being used by container")) {
      return events.stream().anyMatch(c -> c.op().equals("commit") && usedMeanwhile(c, e));
    }
    if (why.contains("mounted")) {
      // Any mount that overlapped, not only one of this image: images that share their top
      // layer (the workload loads archives with common layers) share one mount of that chain,
      // so a mount of another image refuses this one's removal too.
      return events.stream()
          .anyMatch(
              c -> (c.op().equals("mount") || c.op().equals("commit")) && c != e && overlaps(c, e));
    }
    return false;
  }

  private static boolean usedMeanwhile(Event user, Event refused) {
    return refusedFor(refused, user.id()) && user != refused && overlaps(user, refused);
  }

  private static final Pattern REFUSED_ID = Pattern.compile("unable to delete ([0-9a-f]{12})");

  /**
   * Whether the refusal was about image {@code id}: the one its message names (a name may have
   * moved to another image since it was picked), else the one picked.
   */
  private static boolean refusedFor(Event refused, String id) {
    if (id == null) {
      return false;
    }
    Matcher m = REFUSED_ID.matcher(refused.error());
    return m.find() ? id.startsWith("sha256:" + m.group(1)) : id.equals(refused.id());
  }

  private static boolean overlaps(Event a, Event b) {
    return a.picked() <= b.end() && a.end() >= b.picked();
  }

  /** The first and last moments of one JVM's operations. */
  record Span(String jvm, long first, long last) {
    static Span of(String jvm, Collection<Event> events) {
      return new Span(
          jvm,
          events.stream().mapToLong(Event::picked).min().orElseThrow(),
          events.stream().mapToLong(Event::end).max().orElseThrow());
    }

    /** Microseconds both spans share (negative: a gap). */
    long overlap(Span other) {
      return Math.min(last, other.last) - Math.max(first, other.first);
    }

    long length() {
      return last - first;
    }

    @Override
    public String toString() {
      return jvm
          + " JVM: first operation "
          + Instant.EPOCH.plus(first, ChronoUnit.MICROS)
          + ", last "
          + Instant.EPOCH.plus(last, ChronoUnit.MICROS);
    }
  }
}

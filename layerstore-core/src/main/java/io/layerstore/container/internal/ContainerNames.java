package io.layerstore.container.internal;

import io.layerstore.container.CreateOptions;
import java.security.SecureRandom;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Names for containers created without one, in Docker's {@code adjective_noun} shape (our own
 * words). A taken name is drawn again; after a few misses a number is appended, as Docker does.
 */
final class ContainerNames {

  private static final List<String> ADJECTIVES =
      List.of(
          "amber", "brisk", "calm", "dapper", "eager", "fuzzy", "gentle", "hazy", "icy", "jolly",
          "keen", "lucid", "mellow", "nimble", "odd", "plucky", "quiet", "rusty", "sunny", "tidy",
          "upbeat", "vivid", "witty", "zesty");
  private static final List<String> NOUNS =
      List.of(
          "acorn", "badger", "comet", "delta", "ember", "fjord", "glacier", "heron", "island",
          "juniper", "kestrel", "lagoon", "meadow", "nebula", "orchid", "pebble", "quartz", "reef",
          "spruce", "tundra", "umber", "valley", "willow", "yarrow");

  /**
   * A name as {@link CreateOptions} accepts it, without the leading {@code /}. The same pattern as
   * {@code CreateOptions}': that one checks what users pass, this one what the store reads back
   * (names of files, names typed at lookup), so that no other string is ever joined into a path.
   */
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]+");

  private ContainerNames() {}

  /** Whether {@code n} is a valid container name (without a leading {@code /}). */
  static boolean isValid(String n) {
    return n != null && NAME.matcher(n).matches();
  }

  /** A candidate name; after a few attempts a number is appended, as Docker does. */
  static String candidate(SecureRandom random, int attempt) {
    String name =
        ADJECTIVES.get(random.nextInt(ADJECTIVES.size()))
            + "_"
            + NOUNS.get(random.nextInt(NOUNS.size()));
    return attempt < 5 ? name : name + random.nextInt(10 * attempt);
  }
}

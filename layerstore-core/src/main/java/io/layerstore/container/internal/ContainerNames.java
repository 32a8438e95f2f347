package io.layerstore.container.internal;

import io.layerstore.container.CreateOptions;
import java.security.SecureRandom;
import java.util.List;

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

  private ContainerNames() {}

  /**
   * Whether {@code n} is a valid container name (without a leading {@code /}): the rule {@link
   * CreateOptions} checks what users pass with, applied here to what the store reads back (names of
   * files, names typed at lookup), so that no other string is ever joined into a path.
   */
  static boolean isValid(String n) {
    return CreateOptions.isValidName(n);
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

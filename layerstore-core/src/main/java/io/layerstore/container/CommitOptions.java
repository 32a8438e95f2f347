package io.layerstore.container;

import java.util.ArrayList;
import java.util.List;

/**
 * How to commit a container, like {@code docker commit [-a AUTHOR] [-m MESSAGE] [-c CHANGE]...
 * CONTAINER [REPO[:TAG]]}.
 *
 * @param reference {@code name[:tag]} to tag the new image with, or null
 * @param author the image's {@code author} and the history entry's, or null
 * @param message the history entry's {@code comment}, or null
 * @param createdBy the history entry's {@code created_by}; null for Docker's choice, the
 *     container's command joined by spaces
 * @param changes config changes, applied in order
 */
public record CommitOptions(
    String reference, String author, String message, String createdBy, List<ConfigChange> changes) {

  /**
   * Copies {@code changes}, so the options cannot change after they are made.
   *
   * @param reference {@code name[:tag]} to tag the new image with, or null
   * @param author the image's {@code author} and the history entry's, or null
   * @param message the history entry's {@code comment}, or null
   * @param createdBy the history entry's {@code created_by}; null for Docker's choice, the
   *     container's command joined by spaces
   * @param changes config changes, applied in order
   * @throws NullPointerException if {@code changes} is null or holds a null
   */
  public CommitOptions {
    changes = List.copyOf(changes);
  }

  /**
   * No tag, no author, no message, no changes.
   *
   * @return options that commit the container's changes as an untagged image with Docker's history
   *     entry
   */
  public static CommitOptions defaults() {
    return new CommitOptions(null, null, null, null, List.of());
  }

  /**
   * Tags the new image.
   *
   * @param r {@code name[:tag]} ({@code latest} is added when no tag is written), or null for none;
   *     checked when the commit runs
   * @return a copy of these options with this reference
   */
  public CommitOptions reference(String r) {
    return new CommitOptions(r, author, message, createdBy, changes);
  }

  /**
   * Sets the author, like {@code docker commit -a}.
   *
   * @param a the author, such as {@code "Jane <jane@example.com>"}, or null for none
   * @return a copy of these options with this author
   */
  public CommitOptions author(String a) {
    return new CommitOptions(reference, a, message, createdBy, changes);
  }

  /**
   * Sets the commit message, like {@code docker commit -m}.
   *
   * @param m the history entry's comment, or null for none
   * @return a copy of these options with this message
   */
  public CommitOptions message(String m) {
    return new CommitOptions(reference, author, m, createdBy, changes);
  }

  /**
   * Sets the history entry's {@code created_by}.
   *
   * @param c the text, or null for Docker's choice (the container's command joined by spaces)
   * @return a copy of these options with this {@code created_by}
   */
  public CommitOptions createdBy(String c) {
    return new CommitOptions(reference, author, message, c, changes);
  }

  /**
   * One more change as {@code docker commit --change} takes it, e.g. {@code "ENV A=1"}; see {@link
   * ConfigChange#parse}.
   *
   * @param instruction one Dockerfile instruction
   * @return a copy of these options with the change appended
   * @throws IllegalArgumentException if the instruction is not one a commit accepts, or malformed
   */
  public CommitOptions change(String instruction) {
    return with(ConfigChange.parse(instruction));
  }

  /**
   * Sets (or replaces) one environment variable. The value is taken literally: no quotes to strip,
   * no {@code $VAR} to expand.
   *
   * @param name the variable's name, not empty and without {@code =}
   * @param value its value; must not be null (a null is not refused, but ends up as the text {@code
   *     null})
   * @return a copy of these options with the change appended
   * @throws IllegalArgumentException if {@code name} is null, empty or holds {@code =}
   */
  public CommitOptions env(String name, String value) {
    return with(ConfigChange.pairs(ConfigChange.Kind.ENV, name, value));
  }

  /**
   * Sets (or replaces) one label, taken literally.
   *
   * @param name the label's key, not empty
   * @param value its value; must not be null (a null is not refused, but ends up as a JSON {@code
   *     null})
   * @return a copy of these options with the change appended
   * @throws IllegalArgumentException if {@code name} is null or empty
   */
  public CommitOptions label(String name, String value) {
    return with(ConfigChange.pairs(ConfigChange.Kind.LABEL, name, value));
  }

  /**
   * Replaces the command, in exec form (no shell is added).
   *
   * @param words the command and its arguments
   * @return a copy of these options with the change appended
   */
  public CommitOptions cmd(String... words) {
    return with(ConfigChange.of(ConfigChange.Kind.CMD, List.of(words)));
  }

  /**
   * Replaces the entrypoint, in exec form (and, as in a Dockerfile, drops the command unless one is
   * set too).
   *
   * @param words the entrypoint and its arguments
   * @return a copy of these options with the change appended
   */
  public CommitOptions entrypoint(String... words) {
    return with(ConfigChange.of(ConfigChange.Kind.ENTRYPOINT, List.of(words)));
  }

  /**
   * Sets the working directory, like {@code WORKDIR}.
   *
   * @param dir the directory, taken literally
   * @return a copy of these options with the change appended
   */
  public CommitOptions workingDir(String dir) {
    return with(ConfigChange.of(ConfigChange.Kind.WORKDIR, List.of(dir)));
  }

  /**
   * Sets the user the image runs as, like {@code USER}.
   *
   * @param user a name or uid, optionally with {@code :group}, taken literally
   * @return a copy of these options with the change appended
   */
  public CommitOptions user(String user) {
    return with(ConfigChange.of(ConfigChange.Kind.USER, List.of(user)));
  }

  private CommitOptions with(ConfigChange c) {
    List<ConfigChange> l = new ArrayList<>(changes);
    l.add(c);
    return new CommitOptions(reference, author, message, createdBy, l);
  }
}

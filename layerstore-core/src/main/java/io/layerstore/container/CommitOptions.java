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

  public CommitOptions {
    changes = List.copyOf(changes);
  }

  /** No tag, no author, no message, no changes. */
  public static CommitOptions defaults() {
    return new CommitOptions(null, null, null, null, List.of());
  }

  public CommitOptions reference(String r) {
    return new CommitOptions(r, author, message, createdBy, changes);
  }

  public CommitOptions author(String a) {
    return new CommitOptions(reference, a, message, createdBy, changes);
  }

  public CommitOptions message(String m) {
    return new CommitOptions(reference, author, m, createdBy, changes);
  }

  public CommitOptions createdBy(String c) {
    return new CommitOptions(reference, author, message, c, changes);
  }

  /** One more change as {@code docker commit --change} takes it, e.g. {@code "ENV A=1"}. */
  public CommitOptions change(String instruction) {
    return with(ConfigChange.parse(instruction));
  }

  /** Sets (or replaces) one environment variable. */
  public CommitOptions env(String name, String value) {
    return with(ConfigChange.pairs(ConfigChange.Kind.ENV, name, value));
  }

  /** Sets one label. */
  public CommitOptions label(String name, String value) {
    return with(ConfigChange.pairs(ConfigChange.Kind.LABEL, name, value));
  }

  /** Replaces the command. */
  public CommitOptions cmd(String... words) {
    return with(ConfigChange.of(ConfigChange.Kind.CMD, List.of(words)));
  }

  /** Replaces the entrypoint (and, as in a Dockerfile, drops the command unless one is set too). */
  public CommitOptions entrypoint(String... words) {
    return with(ConfigChange.of(ConfigChange.Kind.ENTRYPOINT, List.of(words)));
  }

  public CommitOptions workingDir(String dir) {
    return with(ConfigChange.of(ConfigChange.Kind.WORKDIR, List.of(dir)));
  }

  public CommitOptions user(String user) {
    return with(ConfigChange.of(ConfigChange.Kind.USER, List.of(user)));
  }

  private CommitOptions with(ConfigChange c) {
    List<ConfigChange> l = new ArrayList<>(changes);
    l.add(c);
    return new CommitOptions(reference, author, message, createdBy, l);
  }
}

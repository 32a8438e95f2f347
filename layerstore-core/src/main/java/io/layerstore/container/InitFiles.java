package io.layerstore.container;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a container's init layer holds. Docker's init layer ({@link #docker()}) has the mount points
 * and placeholder files a runtime needs ({@code /etc/hosts}, {@code /etc/hostname}, {@code
 * /etc/resolv.conf}, {@code /.dockerenv}, {@code /dev/console}, {@code /dev/pts}, {@code /dev/shm},
 * {@code /proc}, {@code /sys}, {@code /etc/mtab}); the three {@code /etc} files are empty there
 * because the daemon bind-mounts the real ones at run time. Without a daemon, a caller may ask for
 * their content to be written into the init layer instead: a {@link #hostname}, {@link #addHost
 * host entries} (written after Docker's default {@code localhost} lines) and a {@link #resolvConf}.
 * Each file given content gets mode 0644, as the daemon's own copies have.
 *
 * <p>The init layer sits between the image and the container's read-write layer, so none of this
 * ever reaches a committed image. {@link #none()} makes a container without an init layer (the
 * read-write layer then sits directly on the image, and {@code layerdb/mounts/<id>/init-id} is
 * absent, as Docker records such a container).
 *
 * @param enabled whether the container has an init layer at all
 * @param hostname content of {@code /etc/hostname} (a newline is added), or null for Docker's empty
 *     placeholder
 * @param hosts extra {@code /etc/hosts} entries, {@code ip} then names; empty for Docker's empty
 *     placeholder
 * @param resolvConf content of {@code /etc/resolv.conf} as given, or null for the empty placeholder
 */
public record InitFiles(
    boolean enabled, String hostname, List<HostEntry> hosts, String resolvConf) {

  private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})?");

  /**
   * One {@code /etc/hosts} line, written as {@code ip<TAB>name}.
   *
   * @param ip the address; only checked to be non-empty and free of blanks and control characters,
   *     not parsed as an IP address
   * @param name the host name ({@code [A-Za-z0-9][A-Za-z0-9.-]*}, at most 253 characters)
   */
  public record HostEntry(String ip, String name) {
    /**
     * Checks the entry cannot break the file's lines.
     *
     * @param ip the address; only checked to be non-empty and free of blanks and control
     *     characters, not parsed as an IP address
     * @param name the host name ({@code [A-Za-z0-9][A-Za-z0-9.-]*}, at most 253 characters)
     * @throws IllegalArgumentException if {@code ip} is null, empty or holds a blank or control
     *     character, or {@code name} is not a valid host name
     */
    public HostEntry {
      if (ip == null || ip.isEmpty() || ip.chars().anyMatch(c -> c <= ' ')) {
        throw new IllegalArgumentException("invalid IP address for a hosts entry: \"" + ip + "\"");
      }
      if (name == null || !HOSTNAME.matcher(name).matches()) {
        throw new IllegalArgumentException("invalid host name for a hosts entry: \"" + name + "\"");
      }
    }
  }

  /**
   * Copies {@code hosts} and checks the files fit together.
   *
   * @param enabled whether the container has an init layer at all
   * @param hostname content of {@code /etc/hostname} (a newline is added), or null for Docker's
   *     empty placeholder
   * @param hosts extra {@code /etc/hosts} entries, {@code ip} then names; empty for Docker's empty
   *     placeholder
   * @param resolvConf content of {@code /etc/resolv.conf} as given, or null for the empty
   *     placeholder
   * @throws IllegalArgumentException if {@code hostname} is not a valid host name, or files are
   *     given for a container without an init layer
   * @throws NullPointerException if {@code hosts} is null or holds a null
   */
  public InitFiles {
    hosts = List.copyOf(hosts);
    if (hostname != null && !HOSTNAME.matcher(hostname).matches()) {
      throw new IllegalArgumentException("invalid hostname \"" + hostname + "\"");
    }
    if (!enabled && (hostname != null || !hosts.isEmpty() || resolvConf != null)) {
      throw new IllegalArgumentException(
          "a container without an init layer cannot have init files");
    }
  }

  /**
   * Docker's init layer: placeholders only.
   *
   * @return an enabled init layer with empty {@code /etc} files
   */
  public static InitFiles docker() {
    return new InitFiles(true, null, List.of(), null);
  }

  /**
   * No init layer.
   *
   * @return init files with {@link #enabled()} false; adding files to them fails
   */
  public static InitFiles none() {
    return new InitFiles(false, null, List.of(), null);
  }

  /**
   * The same with {@code /etc/hostname} holding {@code name}.
   *
   * @param name the host name ({@code [A-Za-z0-9][A-Za-z0-9.-]*}, at most 253 characters); a
   *     newline is added in the file
   * @return a copy with this host name
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is not a valid host name, or these are {@link
   *     #none()}
   */
  public InitFiles hostname(String name) {
    return new InitFiles(enabled, Objects.requireNonNull(name, "hostname"), hosts, resolvConf);
  }

  /**
   * The same with one more {@code /etc/hosts} entry, like {@code docker run --add-host name:ip}.
   * Note the order: name first, as on the command line, while {@link HostEntry} takes the address
   * first.
   *
   * @param name the host name
   * @param ip its address
   * @return a copy with the entry appended
   * @throws IllegalArgumentException if the entry is invalid (see {@link HostEntry}), or these are
   *     {@link #none()}
   */
  public InitFiles addHost(String name, String ip) {
    List<HostEntry> h = new ArrayList<>(hosts);
    h.add(new HostEntry(ip, name));
    return new InitFiles(enabled, hostname, h, resolvConf);
  }

  /**
   * The same with {@code /etc/resolv.conf} holding {@code content}.
   *
   * @param content the file's content, written as given (no newline is added)
   * @return a copy with this {@code resolv.conf}
   * @throws NullPointerException if {@code content} is null
   * @throws IllegalArgumentException if these are {@link #none()}
   */
  public InitFiles resolvConf(String content) {
    return new InitFiles(enabled, hostname, hosts, Objects.requireNonNull(content, "resolvConf"));
  }
}

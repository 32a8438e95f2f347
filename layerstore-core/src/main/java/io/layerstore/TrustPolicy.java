package io.layerstore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a pull or a {@code verify} checks a signed image against: a {@code policy.json} in the
 * format of containers-policy.json(5) (which images need signatures, by which keys, for which
 * identity) and a {@code registries.d} directory in the format of containers-registries.d(5) (where
 * each registry's signatures live). The files are read when the policy is applied, so an edit takes
 * effect on the next check.
 *
 * <pre>{@code
 * store.verify(image, TrustPolicy.defaults());
 * store.verify(image, TrustPolicy.fromFiles(Path.of("policy.json"), Path.of("registries.d")));
 * }</pre>
 *
 * <p>Equal policies name the same files.
 */
public final class TrustPolicy {

  private final Path policyFile;
  private final Path registriesDir;

  private TrustPolicy(Path policyFile, Path registriesDir) {
    this.policyFile = policyFile;
    this.registriesDir = registriesDir;
  }

  /**
   * The files podman and skopeo read: {@code $HOME/.config/containers/policy.json} if it exists,
   * else {@code /etc/containers/policy.json}; {@code $HOME/.config/containers/registries.d} if it
   * exists, else {@code /etc/containers/registries.d}.
   *
   * @return the policy of this user, as containers/image finds it
   */
  public static TrustPolicy defaults() {
    String home = System.getenv("HOME");
    Path user =
        Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"))
            .resolve(".config/containers");
    Path system = Path.of("/etc/containers");
    return new TrustPolicy(
        firstExisting(user.resolve("policy.json"), system.resolve("policy.json")),
        firstExisting(user.resolve("registries.d"), system.resolve("registries.d")));
  }

  private static Path firstExisting(Path user, Path system) {
    return Files.exists(user) ? user : system;
  }

  /**
   * A policy from the given files.
   *
   * @param policy the {@code policy.json} file
   * @param registriesD the {@code registries.d} directory; a directory that does not exist
   *     configures no signature storage
   * @return the policy
   * @throws NullPointerException if either argument is null
   */
  public static TrustPolicy fromFiles(Path policy, Path registriesD) {
    return new TrustPolicy(
        Objects.requireNonNull(policy, "policy"),
        Objects.requireNonNull(registriesD, "registriesD"));
  }

  /**
   * The policy file.
   *
   * @return the {@code policy.json} this policy reads
   */
  public Path policyFile() {
    return policyFile;
  }

  /**
   * The registries.d directory.
   *
   * @return the directory of YAML files saying where signatures are stored
   */
  public Path registriesDir() {
    return registriesDir;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrustPolicy t
        && t.policyFile.equals(policyFile)
        && t.registriesDir.equals(registriesDir);
  }

  @Override
  public int hashCode() {
    return Objects.hash(policyFile, registriesDir);
  }

  @Override
  public String toString() {
    return "TrustPolicy[policy=" + policyFile + ", registries.d=" + registriesDir + "]";
  }
}

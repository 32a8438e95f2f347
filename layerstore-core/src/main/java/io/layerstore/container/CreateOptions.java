package io.layerstore.container;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to create a container.
 *
 * @param name a unique name ({@code [a-zA-Z0-9][a-zA-Z0-9_.-]+}, as Docker allows), or null for a
 *     generated one
 * @param init what the init layer holds
 */
public record CreateOptions(String name, InitFiles init) {

  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]+");

  /**
   * Checks the name and strips one leading {@code /} from it (Docker stores names as {@code
   * /name}).
   *
   * @param name a unique name ({@code [a-zA-Z0-9][a-zA-Z0-9_.-]+}, as Docker allows), or null for a
   *     generated one
   * @param init what the init layer holds
   * @throws IllegalArgumentException if the name is not a valid container name
   * @throws NullPointerException if {@code init} is null
   */
  public CreateOptions {
    if (name != null) {
      String n = name.startsWith("/") ? name.substring(1) : name;
      if (!isValidName(n)) {
        throw new IllegalArgumentException(
            "Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
      }
      name = n;
    }
    Objects.requireNonNull(init, "init");
  }

  /**
   * Whether {@code name} is a container name Docker allows: {@code [a-zA-Z0-9][a-zA-Z0-9_.-]+},
   * without the leading {@code /} Docker stores.
   *
   * @param name the name to check; null is not valid
   * @return whether it matches
   */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /**
   * A generated name and Docker's init layer.
   *
   * @return options with no name and {@link InitFiles#docker()}
   */
  public static CreateOptions defaults() {
    return new CreateOptions(null, InitFiles.docker());
  }

  /**
   * Names the container.
   *
   * @param n a unique name ({@code [a-zA-Z0-9][a-zA-Z0-9_.-]+}, an optional leading {@code /}), or
   *     null for a generated one; uniqueness is checked when the container is created
   * @return a copy of these options with this name
   * @throws IllegalArgumentException if the name is not a valid container name
   */
  public CreateOptions name(String n) {
    return new CreateOptions(n, init);
  }

  /**
   * Sets what the init layer holds.
   *
   * @param i the init files; {@link InitFiles#none()} for no init layer
   * @return a copy of these options with these init files
   * @throws NullPointerException if {@code i} is null
   */
  public CreateOptions init(InitFiles i) {
    return new CreateOptions(name, i);
  }
}

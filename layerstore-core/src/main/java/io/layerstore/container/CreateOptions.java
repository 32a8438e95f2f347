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

  public CreateOptions {
    if (name != null) {
      String n = name.startsWith("/") ? name.substring(1) : name;
      if (!NAME.matcher(n).matches()) {
        throw new IllegalArgumentException(
            "Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
      }
      name = n;
    }
    Objects.requireNonNull(init, "init");
  }

  /** A generated name and Docker's init layer. */
  public static CreateOptions defaults() {
    return new CreateOptions(null, InitFiles.docker());
  }

  public CreateOptions name(String n) {
    return new CreateOptions(n, init);
  }

  public CreateOptions init(InitFiles i) {
    return new CreateOptions(name, i);
  }

  static boolean isValidName(String n) {
    return n != null && NAME.matcher(n).matches();
  }
}

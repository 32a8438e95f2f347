package io.layerstore.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An image platform ({@code os/architecture[/variant]}), normalized and matched the way
 * containerd's {@code platforms} package does it, so that {@code --platform} and the choice from a
 * multi-platform index mean here what they mean to containerd and Docker.
 *
 * <p>Normalization folds the spellings of one platform together: {@code x86_64} is {@code amd64},
 * {@code aarch64} is {@code arm64} and its {@code v8} variant is the default (written as none),
 * {@code armhf} is {@code arm/v7}, and a bare {@code arm} means {@code arm/v7}.
 *
 * @param os the operating system, lower case, e.g. {@code linux}
 * @param architecture the CPU architecture in Go's names, e.g. {@code amd64}, {@code arm64}
 * @param variant the CPU variant, e.g. {@code v7}; empty when there is none
 */
public record OciPlatform(String os, String architecture, String variant) {

  /** Checks the parts; use {@link #normalized} for a platform to compare. */
  public OciPlatform {
    Objects.requireNonNull(os, "os");
    Objects.requireNonNull(architecture, "architecture");
    variant = variant == null ? "" : variant;
  }

  /**
   * Parses {@code os/arch[/variant]}, as {@code --platform} takes it.
   *
   * @param text such as {@code linux/arm64/v8} or {@code linux/amd64}
   * @return the normalized platform
   * @throws IllegalArgumentException if the text does not have two or three non-empty parts of
   *     letters, digits, {@code _}, {@code -} and {@code .}
   */
  public static OciPlatform parse(String text) {
    String[] parts = text.split("/", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException(
          "invalid platform \"" + text + "\": expected os/architecture[/variant]");
    }
    for (String p : parts) {
      if (!p.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException(
            "invalid platform \"" + text + "\": empty or malformed part \"" + p + "\"");
      }
    }
    return new OciPlatform(parts[0], parts[1], parts.length == 3 ? parts[2] : "").normalized();
  }

  /**
   * The platform this JVM runs on, as Go would name it ({@code os.arch} {@code aarch64} is {@code
   * arm64}); images run here unless told otherwise.
   *
   * @return the normalized host platform
   */
  public static OciPlatform host() {
    String os = System.getProperty("os.name", "linux").toLowerCase(Locale.ROOT);
    if (os.startsWith("linux")) {
      os = "linux";
    } else if (os.startsWith("windows")) {
      os = "windows";
    } else if (os.startsWith("mac")) {
      os = "darwin";
    }
    return new OciPlatform(os, System.getProperty("os.arch", "amd64"), "").normalized();
  }

  /**
   * The same platform in containerd's normal form.
   *
   * @return os lower case, architecture in Go's name, variant in its canonical spelling
   */
  public OciPlatform normalized() {
    String o = os.toLowerCase(Locale.ROOT);
    String a = architecture.toLowerCase(Locale.ROOT);
    String v = variant.toLowerCase(Locale.ROOT);
    switch (a) {
      case "i386" -> a = "386";
      case "x86_64", "x86-64", "amd64" -> {
        a = "amd64";
        if (v.equals("v1")) {
          v = "";
        }
      }
      case "aarch64", "arm64" -> {
        a = "arm64";
        if (v.equals("8") || v.equals("v8") || v.equals("v8.0")) {
          v = "";
        }
      }
      case "armhf" -> {
        a = "arm";
        v = "v7";
      }
      case "armel" -> {
        a = "arm";
        v = "v6";
      }
      case "arm" -> {
        if (v.isEmpty() || v.equals("7")) {
          v = "v7";
        } else if (v.equals("5") || v.equals("6") || v.equals("8")) {
          v = "v" + v;
        }
      }
      default -> {}
    }
    return new OciPlatform(o, a, v);
  }

  /**
   * The platforms an image may have to run here, best first, as containerd's {@code platforms.Only}
   * orders them: the platform itself, then what its CPU also runs ({@code arm64} runs {@code
   * arm/v8} down to {@code arm/v5}, {@code arm/v7} runs {@code v6} and {@code v5}, {@code amd64}
   * runs {@code 386}).
   *
   * @return a new list, never empty; its first element is this platform, normalized
   */
  public List<OciPlatform> acceptable() {
    OciPlatform p = normalized();
    List<OciPlatform> out = new ArrayList<>(List.of(p));
    switch (p.architecture) {
      case "amd64" -> out.add(new OciPlatform(p.os, "386", ""));
      case "arm64" -> armDownFrom(p.os, 8, out);
      case "arm" -> {
        if (p.variant.matches("v[5-8]")) {
          armDownFrom(p.os, p.variant.charAt(1) - '0' - 1, out);
        }
      }
      default -> {}
    }
    return out;
  }

  private static void armDownFrom(String os, int top, List<OciPlatform> out) {
    for (int v = top; v >= 5; v--) {
      out.add(new OciPlatform(os, "arm", "v" + v));
    }
  }

  /**
   * Whether an image of {@code other} is this exact platform, once both are normalized.
   *
   * @param other the platform an index entry declares
   * @return true if os, architecture and variant are equal after normalization
   */
  public boolean matches(OciPlatform other) {
    return normalized().equals(other.normalized());
  }

  /**
   * {@code os/architecture[/variant]}.
   *
   * @return the text {@link #parse} reads back
   */
  @Override
  public String toString() {
    return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
  }
}

package io.layerstore.cli;

import io.layerstore.InvalidReferenceException;
import io.layerstore.Reference;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The typed values of the command line, each checked when it is parsed: a bad one is a usage error
 * naming the flag and the value ({@code invalid value "x" for --rounds: ...}, exit status 125).
 */
final class Types {

  private Types() {}

  /** A file or directory name: not empty, and one this file system can name. */
  static final ITypeConverter<Path> PATH =
      s -> {
        if (s.isEmpty()) {
          throw new TypeConversionException("a path is needed");
        }
        try {
          return Path.of(s);
        } catch (InvalidPathException e) {
          throw new TypeConversionException("not a path: " + e.getReason());
        }
      };

  /** A whole number of at least {@code min}. */
  static ITypeConverter<Integer> atLeast(int min) {
    return s -> {
      try {
        int n = Integer.parseInt(s);
        if (n >= min) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new TypeConversionException("a whole number of at least " + min + " is needed");
    };
  }

  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  /**
   * A duration, not negative: a number of seconds ({@code 40}), or Go's form as docker takes it
   * ({@code 500ms}, {@code 40s}, {@code 2m}, {@code 1h30m}).
   */
  static final ITypeConverter<Duration> DURATION = Types::duration;

  static Duration duration(String s) {
    if (s.matches("\\d{1,9}")) {
      return Duration.ofSeconds(Long.parseLong(s));
    }
    Matcher m = DURATION_PART.matcher(s);
    Duration d = Duration.ZERO;
    int end = 0;
    while (m.lookingAt()) {
      double n = Double.parseDouble(m.group(1));
      double unitMs =
          switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
          };
      double ms = n * unitMs;
      if (ms > 1e15) {
        break;
      }
      d = d.plusNanos(Math.round(ms * 1_000_000));
      end = m.end();
      m.region(end, s.length());
    }
    if (end == 0 || end != s.length()) {
      throw new TypeConversionException(
          "a duration is needed: seconds, or like 500ms, 40s, 2m, 1h30m");
    }
    return d;
  }

  /** {@code os/arch[/variant]}, as {@code docker --platform} takes it. */
  record Platform(String os, String architecture, String variant) {
    @Override
    public String toString() {
      return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
  }

  private static final Pattern PLATFORM =
      Pattern.compile("([a-z0-9_]+)/([a-z0-9_]+)(?:/([a-z0-9_]+))?");

  static final ITypeConverter<Platform> PLATFORM_TYPE = Types::platform;

  static Platform platform(String s) {
    Matcher m = PLATFORM.matcher(s.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new TypeConversionException(
          "expected os/arch[/variant], like linux/amd64 or linux/arm64/v8");
    }
    return new Platform(m.group(1), m.group(2), m.group(3));
  }

  /**
   * An image reference, {@code [REGISTRY/]REPOSITORY[:TAG]}, checked with {@link Reference#parse};
   * the text itself is kept. A bad one is reported as docker does, {@code Error: invalid reference
   * format: ...}, with exit status 1 ({@link BadReference}).
   */
  static final ITypeConverter<String> REFERENCE =
      s -> {
        try {
          Reference.parse(s);
          return s;
        } catch (InvalidReferenceException e) {
          throw new BadReference(e.getMessage());
        }
      };

  /** A reference that {@link Reference#parse} refused. */
  static final class BadReference extends TypeConversionException {
    private static final long serialVersionUID = 1L;

    BadReference(String message) {
      super(message);
    }
  }

  /** {@code HOST:IP} of {@code create --add-host}. */
  static final ITypeConverter<String> HOST_IP =
      s -> {
        if (s.indexOf(':') <= 0) {
          throw new TypeConversionException("expected HOST:IP");
        }
        return s;
      };
}

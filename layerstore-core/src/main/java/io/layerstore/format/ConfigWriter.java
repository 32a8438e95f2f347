package io.layerstore.format;

import io.layerstore.DiffId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * Image configs the store makes itself (import, later commit), in the shape Docker marshals them:
 * compact, top-level keys sorted (Docker's image type goes through a string-keyed map), nested
 * structs in Go field order, no trailing newline.
 */
public final class ConfigWriter {

  private ConfigWriter() {}

  /** The config of a one-layer image made by {@code import}. */
  public static byte[] imported(DiffId layer, Instant created, String source) {
    String when = LegacyV1.goTime(created.atOffset(ZoneOffset.UTC).toString());
    String comment = "Imported from " + source;
    StringBuilder sb = new StringBuilder("{");
    sb.append("\"architecture\":").append(GoJson.quote(goArch()));
    sb.append(",\"comment\":").append(GoJson.quote(comment));
    sb.append(",\"container_config\":").append(LegacyV1.containerConfig(null));
    sb.append(",\"created\":").append(GoJson.quote(when));
    sb.append(",\"history\":[{\"created\":").append(GoJson.quote(when))
        .append(",\"comment\":").append(GoJson.quote(comment)).append("}]");
    sb.append(",\"os\":\"linux\"");
    sb.append(",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[").append(GoJson.quote(layer.toString())).append("]}");
    sb.append('}');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The host architecture in Go's words ({@code amd64}, {@code arm64}, ...). */
  public static String goArch() {
    String a = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    switch (a) {
      case "x86_64":
      case "amd64":
        return "amd64";
      case "aarch64":
      case "arm64":
        return "arm64";
      case "x86":
      case "i386":
      case "i686":
        return "386";
      case "arm":
        return "arm";
      case "ppc64le":
        return "ppc64le";
      case "s390x":
        return "s390x";
      case "riscv64":
        return "riscv64";
      default:
        return a;
    }
  }
}

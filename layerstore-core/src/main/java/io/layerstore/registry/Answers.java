package io.layerstore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * What a registry's answer says beyond its status: distribution's error document ({@code
 * {"errors":[{"code","message","detail"}]}}) as {@code : CODE: message}, the media type without its
 * parameters. Used for every error message, so each says what the registry said.
 */
final class Answers {

  /** The most of an error body read: enough for any error document, bounded for a hostile one. */
  static final int MAX_ERROR_BYTES = 64 << 10;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Answers() {}

  /** Reads (a bounded part of) the body of an error answer and closes it. */
  static byte[] errorBody(HttpResponse<InputStream> r) {
    try (InputStream in = r.body()) {
      return in == null ? new byte[0] : in.readNBytes(MAX_ERROR_BYTES);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /** {@code ": CODE: message; ..."} of an error body, or a printable start of it, or nothing. */
  static String detail(byte[] body) {
    if (body.length == 0) {
      return "";
    }
    try {
      JsonNode errors = JSON.readTree(body).path("errors");
      if (errors.isArray() && !errors.isEmpty()) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : errors) {
          sb.append(sb.length() == 0 ? ": " : "; ")
              .append(e.path("code").asText("?"))
              .append(": ")
              .append(e.path("message").asText(""));
        }
        return sb.toString();
      }
    } catch (IOException | RuntimeException notJson) {
      // fall through to the text
    }
    String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    text = text.replaceAll("[^\\x20-\\x7e]+", " ").strip();
    return text.isEmpty() ? "" : ": " + text;
  }

  /** The answer's {@code Content-Type} without parameters, in lower case. */
  static Optional<String> mediaType(HttpResponse<?> r) {
    return r.headers()
        .firstValue("Content-Type")
        .map(v -> v.split(";", 2)[0].trim().toLowerCase(Locale.ROOT))
        .filter(v -> !v.isEmpty());
  }
}

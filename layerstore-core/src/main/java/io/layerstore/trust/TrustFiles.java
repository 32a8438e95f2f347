package io.layerstore.trust;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading the small files trust is configured with (policies, keys), bounded and named. */
final class TrustFiles {

  /**
   * JSON read as Go's strict readers in containers/image read it: a duplicate key or anything after
   * the value is an error. Configured once and never changed, so safe to share.
   */
  static final ObjectMapper STRICT_JSON =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private TrustFiles() {}

  /**
   * The whole file.
   *
   * @param what what the file is, for messages ("policy", "keyPath")
   * @throws LayerStoreException naming the file when it is missing, unreadable or too large
   */
  static byte[] read(Path file, String what) throws LayerStoreException {
    try {
      if (Files.size(file) > Limits.MAX_CONFIG_BYTES) {
        throw new LayerStoreException(
            what + " " + file + " is larger than " + Limits.MAX_CONFIG_BYTES + " bytes");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new LayerStoreException(what + " " + file + " does not exist", e);
    } catch (IOException e) {
      if (e instanceof LayerStoreException l) {
        throw l;
      }
      throw new LayerStoreException("cannot read " + what + " " + file + ": " + e, e);
    }
  }
}

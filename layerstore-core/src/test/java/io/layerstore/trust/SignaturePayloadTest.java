package io.layerstore.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.SignatureRefusedException.Reason;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The payload's bytes and its strict reading. The expected texts are what Go's {@code json.Marshal}
 * makes of containers/image's payload maps (sorted keys, {@code <>&} escaped), as its own tests
 * state them.
 */
class SignaturePayloadTest {

  private static final Digest D =
      Digest.parse("sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00");

  @Test
  void writesWhatContainersImageWrites() {
    assertEquals(
        "{\"critical\":{\"identity\":{\"docker-reference\":\"reference#@!\"},\"image\":{"
            + "\"docker-manifest-digest\":\""
            + D
            + "\"},\"type\":\"cosign container image signature\"},"
            + "\"optional\":{\"creator\":\"CREATOR\",\"timestamp\":1484683104}}",
        text(
            new SignaturePayload(
                SignaturePayload.SIGSTORE, "reference#@!", D, "CREATOR", 1484683104L)));
    assertEquals(
        "{\"critical\":{\"identity\":{\"docker-reference\":\"a<b>&c\"},\"image\":{"
            + "\"docker-manifest-digest\":\""
            + D
            + "\"},\"type\":\"atomic container signature\"},"
            + "\"optional\":{}}",
        text(new SignaturePayload(SignaturePayload.SIMPLE_SIGNING, "a<b>&c", D, null, null))
            .replace("\\u003c", "<")
            .replace("\\u003e", ">")
            .replace("\\u0026", "&"));
    assertTrue(
        text(new SignaturePayload(SignaturePayload.SIMPLE_SIGNING, "a<b>&c", D, null, null))
            .contains("a\\u003cb\\u003e\\u0026c"));
  }

  @Test
  void readsCosignsNullOptionalAndFloatTimestamps() throws Refusal {
    SignaturePayload p =
        SignaturePayload.parse(
            bytes(
                "{\"critical\":{\"identity\":{\"docker-reference\":\"192.168.64.2:5000/x\"},"
                    + "\"image\":{\"docker-manifest-digest\":\""
                    + D
                    + "\"},"
                    + "\"type\":\"cosign container image signature\"},\"optional\":null}"),
            SignaturePayload.SIGSTORE);
    assertNull(p.creator());
    assertEquals("192.168.64.2:5000/x", p.dockerReference());
    SignaturePayload t =
        SignaturePayload.parse(
            bytes(
                payload(
                    "atomic container signature",
                    "\"optional\":{\"timestamp\":1.4e9,\"other\":[1]}")),
            SignaturePayload.SIMPLE_SIGNING);
    assertEquals(1_400_000_000L, t.timestamp());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "another type | cosign container image signature | \"optional\":{} | not \"atomic",
        "unknown critical field | atomic container signature | \"optional\":{},\"x\":1 | unexpected field",
        "no optional | atomic container signature | \"z\":{} | unexpected field",
        "fractional timestamp | atomic container signature | \"optional\":{\"timestamp\":1.5} | whole number",
        "creator not a string | atomic container signature | \"optional\":{\"creator\":1} | not a string",
        "duplicate key | atomic container signature | \"optional\":{},\"optional\":{} | not valid JSON",
      })
  void refusesWhatContainersImageRefuses(String name, String type, String tail, String message) {
    Refusal r =
        assertThrows(
            Refusal.class,
            () ->
                SignaturePayload.parse(
                    bytes(payload(type, tail)), SignaturePayload.SIMPLE_SIGNING));
    assertEquals(Reason.INVALID_SIGNATURE, r.reason());
    assertTrue(r.getMessage().contains(message), name + ": " + r.getMessage());
  }

  @Test
  void refusesTrailingDataAndOtherDigestAlgorithms() {
    Refusal trailing =
        assertThrows(
            Refusal.class,
            () ->
                SignaturePayload.parse(
                    bytes(payload("atomic container signature", "\"optional\":{}") + "{}"),
                    SignaturePayload.SIMPLE_SIGNING));
    assertEquals(Reason.INVALID_SIGNATURE, trailing.reason());
    Refusal sha512 =
        assertThrows(
            Refusal.class,
            () ->
                SignaturePayload.parse(
                    bytes(
                        payload("atomic container signature", "\"optional\":{}")
                            .replace(D.toString(), "sha512:abcd")),
                    SignaturePayload.SIMPLE_SIGNING));
    assertEquals(Reason.DIGEST_MISMATCH, sha512.reason());
  }

  private static String payload(String type, String tail) {
    return "{\"critical\":{\"identity\":{\"docker-reference\":\"example.com/a:1\"},"
        + "\"image\":{\"docker-manifest-digest\":\""
        + D
        + "\"},\"type\":\""
        + type
        + "\"},"
        + tail
        + "}";
  }

  private static String text(SignaturePayload p) {
    return new String(p.toJson(), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

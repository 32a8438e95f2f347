package io.layerstore.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * cosign's encrypted private key: the PEM body is the JSON of go-securesystemslib's {@code
 * encrypted} package — {@code {"kdf":{"name":"scrypt","params":{"N","r","p"},"salt"},
 * "cipher":{"name":"nacl/secretbox","nonce"},"ciphertext"}} with base64 byte fields — and the
 * plaintext is the PKCS#8 DER of the key. The key for NaCl's secretbox (XSalsa20 + Poly1305) is
 * scrypt of the passphrase's UTF-8 bytes, 32 bytes long.
 */
final class CosignEncryptedKey {

  /** The PEM types cosign writes (the first since cosign 2, the second before). */
  static final String SIGSTORE_TYPE = "ENCRYPTED SIGSTORE PRIVATE KEY";

  static final String COSIGN_TYPE = "ENCRYPTED COSIGN PRIVATE KEY";

  /** scrypt needs 128·N·r bytes: cosign uses N=32768, r=8 (32 MiB); refuse what costs far more. */
  private static final long MAX_SCRYPT_MEMORY = 256L << 20;

  private static final int MAX_SCRYPT_P = 16;
  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 24;
  private static final int TAG_BYTES = 16;

  private CosignEncryptedKey() {}

  /**
   * The PKCS#8 DER inside.
   *
   * @throws LayerStoreException when the JSON is malformed, its parameters are out of bounds, or
   *     the passphrase is wrong
   */
  static byte[] decrypt(byte[] json, char[] passphrase, String what) throws LayerStoreException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new LayerStoreException(what + ": the encrypted key is not JSON: " + e.getMessage(), e);
    }
    JsonNode kdf = root.path("kdf");
    JsonNode cipher = root.path("cipher");
    if (!"scrypt".equals(kdf.path("name").asText())
        || !"nacl/secretbox".equals(cipher.path("name").asText())) {
      throw new LayerStoreException(
          what
              + ": unsupported key encryption (kdf \""
              + kdf.path("name").asText()
              + "\", cipher \""
              + cipher.path("name").asText()
              + "\"); cosign's scrypt + nacl/secretbox is supported");
    }
    JsonNode params = kdf.path("params");
    int n = params.path("N").asInt(0);
    int r = params.path("r").asInt(0);
    int p = params.path("p").asInt(0);
    if (n < 2
        || (n & (n - 1)) != 0
        || r < 1
        || p < 1
        || p > MAX_SCRYPT_P
        || 128L * n * r > MAX_SCRYPT_MEMORY) {
      throw new LayerStoreException(
          what + ": scrypt parameters N=" + n + " r=" + r + " p=" + p + " are out of bounds");
    }
    byte[] salt = base64(kdf.path("salt"), "kdf.salt", what);
    byte[] nonce = base64(cipher.path("nonce"), "cipher.nonce", what);
    byte[] box = base64(root.path("ciphertext"), "ciphertext", what);
    if (nonce.length != NONCE_BYTES || box.length < TAG_BYTES) {
      throw new LayerStoreException(
          what + ": the encrypted key's nonce or ciphertext is too short");
    }
    byte[] key = deriveKey(passphrase, salt, n, r, p);
    try {
      byte[] plain = open(key, nonce, box);
      if (plain == null) {
        throw new LayerStoreException(
            what + ": cannot decrypt the private key (wrong passphrase, or the file was changed)");
      }
      return plain;
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** The inverse of {@link #decrypt}, with cosign's parameters; the JSON of the PEM body. */
  static byte[] encrypt(byte[] pkcs8, char[] passphrase, byte[] salt, byte[] nonce) {
    int n = 32768;
    int r = 8;
    int p = 1;
    byte[] key = deriveKey(passphrase, salt, n, r, p);
    byte[] box = seal(key, nonce, pkcs8);
    Arrays.fill(key, (byte) 0);
    Base64.Encoder b64 = Base64.getEncoder();
    return ("{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":"
            + n
            + ",\"r\":"
            + r
            + ",\"p\":"
            + p
            + "},\"salt\":\""
            + b64.encodeToString(salt)
            + "\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\""
            + b64.encodeToString(nonce)
            + "\"},\"ciphertext\":\""
            + b64.encodeToString(box)
            + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] deriveKey(char[] passphrase, byte[] salt, int n, int r, int p) {
    ByteBuffer utf8 = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
    byte[] pass = new byte[utf8.remaining()];
    utf8.get(pass);
    Arrays.fill(utf8.array(), (byte) 0);
    try {
      return SCrypt.generate(pass, salt, n, r, p, KEY_BYTES);
    } finally {
      Arrays.fill(pass, (byte) 0);
    }
  }

  /**
   * NaCl's secretbox: the first 32 bytes of the XSalsa20 stream key Poly1305; the message is
   * encrypted with the stream from byte 32 on; the box is the 16-byte tag then the ciphertext.
   */
  private static byte[] seal(byte[] key, byte[] nonce, byte[] message) {
    XSalsa20Engine stream = stream(key, nonce);
    byte[] polyKey = firstStreamBytes(stream);
    byte[] box = new byte[TAG_BYTES + message.length];
    stream.processBytes(message, 0, message.length, box, TAG_BYTES);
    tag(polyKey, box, box);
    return box;
  }

  /** The message, or null when the tag does not match. */
  private static byte[] open(byte[] key, byte[] nonce, byte[] box) {
    XSalsa20Engine stream = stream(key, nonce);
    byte[] polyKey = firstStreamBytes(stream);
    byte[] tag = new byte[TAG_BYTES];
    tag(polyKey, box, tag);
    if (!MessageDigest.isEqual(tag, Arrays.copyOf(box, TAG_BYTES))) {
      return null;
    }
    byte[] message = new byte[box.length - TAG_BYTES];
    stream.processBytes(box, TAG_BYTES, message.length, message, 0);
    return message;
  }

  private static XSalsa20Engine stream(byte[] key, byte[] nonce) {
    XSalsa20Engine e = new XSalsa20Engine();
    e.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
    return e;
  }

  /**
   * The Poly1305 key: the stream's first 32 bytes, after which the stream stands at the message.
   */
  private static byte[] firstStreamBytes(XSalsa20Engine stream) {
    byte[] polyKey = new byte[KEY_BYTES];
    stream.processBytes(new byte[KEY_BYTES], 0, KEY_BYTES, polyKey, 0);
    return polyKey;
  }

  /** Poly1305 of {@code box[16:]} into {@code out[0:16]}. */
  private static void tag(byte[] polyKey, byte[] box, byte[] out) {
    Poly1305 poly = new Poly1305();
    poly.init(new KeyParameter(polyKey));
    poly.update(box, TAG_BYTES, box.length - TAG_BYTES);
    poly.doFinal(out, 0);
    Arrays.fill(polyKey, (byte) 0);
  }

  private static byte[] base64(JsonNode node, String field, String what)
      throws LayerStoreException {
    if (!node.isTextual()) {
      throw new LayerStoreException(what + ": the encrypted key has no " + field);
    }
    try {
      return Base64.getDecoder().decode(node.textValue());
    } catch (IllegalArgumentException e) {
      throw new LayerStoreException(what + ": the encrypted key's " + field + " is not base64", e);
    }
  }
}

package io.layerstore.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import io.layerstore.SignBy;
import io.layerstore.SignatureRefusedException;
import io.layerstore.SignatureRefusedException.Reason;
import io.layerstore.TrustPolicy;
import io.layerstore.Verification;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * sigstore signatures against a real tool: openssl makes keys in every PEM form and checks our
 * signatures, which our policy accepts under their key only.
 *
 * <p>Debian's skopeo 1.9 is built with sigstore disabled (it answers "Debian-local change: sigstore
 * disabled" to signing and to a sigstoreSigned policy alike), so it cannot be the other side for
 * sigstore: openssl checks the cryptography, and {@link SignaturePayloadTest} the payload bytes.
 */
class SigstoreSigningTest {

  private static final String IDENTITY = "localhost:5000/fx/multi:1";

  @TempDir static Path dir;
  private static byte[] manifest;
  private static Digest digest;
  private static Path otherPublic;

  @BeforeAll
  static void setUp() throws IOException {
    Tools.require("openssl");
    manifest = Files.readAllBytes(DirImage.fixtureManifest());
    digest = Digest.of(manifest);
    Path other =
        openssl(
            dir.resolve("other.pem"),
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256");
    otherPublic = publicOf(other);
  }

  private static Path openssl(Path out, String... args) throws IOException {
    String[] cmd = new String[args.length + 3];
    cmd[0] = "openssl";
    System.arraycopy(args, 0, cmd, 1, args.length);
    cmd[args.length + 1] = "-out";
    cmd[args.length + 2] = out.toString();
    Tools.run(cmd).ok();
    return out;
  }

  private static Path publicOf(Path key) throws IOException {
    Path pub = key.resolveSibling(key.getFileName() + ".pub");
    Tools.run("openssl", "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString()).ok();
    return pub;
  }

  private static TrustPolicy policy(Path key, String name) throws IOException {
    return PolicyFiles.write(
        dir.resolve("policy-" + name),
        "localhost:5000/fx/multi",
        "{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + key + "\"}",
        "default-docker:\n  use-sigstore-attachments: true\n");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "ec-sec1, ecparam -name prime256v1 -genkey -noout, dgst",
    "ec-pkcs8, genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256, dgst",
    "ed25519, genpkey -algorithm ed25519, pkeyutl",
    "rsa-pkcs1, genrsa -traditional 2048, dgst",
    "rsa-pkcs8, genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048, dgst"
  })
  void opensslVerifiesOurSignatureAndWeAcceptItOnlyUnderItsKey(
      String name, String gen, String verify) throws IOException {
    Path key = dir.resolve(name + ".pem");
    if (gen.startsWith("genrsa")) {
      Tools.run("openssl", "genrsa", "-traditional", "-out", key.toString(), "2048").ok();
    } else {
      openssl(key, gen.split(" "));
    }
    String pemType = Files.readString(key).lines().findFirst().orElseThrow();
    Path pub = publicOf(key);
    SigstoreSignature sig =
        ImageSigner.load(SignBy.sigstore(key, null))
            .sigstoreSignature(Reference.parse(IDENTITY), digest);
    Path payload = dir.resolve(name + ".payload");
    Files.write(payload, sig.payload());
    Path raw = dir.resolve(name + ".sig");
    Files.write(raw, Base64.getDecoder().decode(sig.base64Signature()));
    Tools.Result r =
        verify.equals("dgst")
            ? Tools.run(
                "openssl",
                "dgst",
                "-sha256",
                "-verify",
                pub.toString(),
                "-signature",
                raw.toString(),
                payload.toString())
            : Tools.run(
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                pub.toString(),
                "-rawin",
                "-in",
                payload.toString(),
                "-sigfile",
                raw.toString());
    assertTrue(r.ok().out().contains("Verified"), pemType + ": " + r.out());

    Verification v = PolicyFiles.check(policy(pub, name), IDENTITY, manifest, d -> List.of(sig));
    assertEquals("sigstoreSigned", v.accepted().get(0).requirement());
    assertEquals(
        SigstoreKeys.fingerprint(SigstoreKeys.publicKey(Files.readAllBytes(pub), "pub")),
        v.accepted().get(0).signer());
    assertEquals(IDENTITY, v.accepted().get(0).signedIdentity());

    SignatureRefusedException e =
        assertThrows(
            SignatureRefusedException.class,
            () ->
                PolicyFiles.check(
                    policy(otherPublic, name + "-other"), IDENTITY, manifest, d -> List.of(sig)));
    assertEquals(Reason.WRONG_KEY, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("sigstoreSigned"), e.getMessage());
  }

  @Test
  void cosignEncryptedKeysAreReadWithTheirPassphrase() throws Exception {
    Path plain =
        openssl(
            dir.resolve("cosign-plain.pem"),
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256");
    Path pub = publicOf(plain);
    char[] passphrase = "sigstore pässword".toCharArray();
    for (String type : List.of(CosignEncryptedKey.SIGSTORE_TYPE, CosignEncryptedKey.COSIGN_TYPE)) {
      Path encrypted = dir.resolve(type.replace(' ', '-') + ".key");
      encrypt(plain, encrypted, passphrase, type);
      assertTrue(Files.readString(encrypted).startsWith("-----BEGIN " + type + "-----"));
      SigstoreSignature ours =
          ImageSigner.load(SignBy.sigstore(encrypted, passphrase))
              .sigstoreSignature(Reference.parse(IDENTITY), digest);
      // The key inside is the one openssl made: its public half verifies the signature.
      PolicyFiles.check(
          policy(pub, "encrypted-" + type.length()), IDENTITY, manifest, d -> List.of(ours));
      LayerStoreException wrong =
          assertThrows(
              LayerStoreException.class,
              () -> ImageSigner.load(SignBy.sigstore(encrypted, "nope".toCharArray())));
      assertTrue(wrong.getMessage().contains("wrong passphrase"), wrong.getMessage());
    }
    byte[] notJson =
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGEga2V5\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
            .getBytes(StandardCharsets.US_ASCII);
    Path bad = dir.resolve("bad.key");
    Files.write(bad, notJson);
    LayerStoreException e =
        assertThrows(
            LayerStoreException.class, () -> ImageSigner.load(SignBy.sigstore(bad, new char[0])));
    assertTrue(
        e.getMessage().contains(bad.toString()) && e.getMessage().contains("not JSON"),
        e.getMessage());
  }

  @Test
  void tamperedMissingAndUnsupportedAreRefusedWithTheReason() throws IOException {
    Path key = openssl(dir.resolve("tamper.pem"), "genpkey", "-algorithm", "ed25519");
    Path pub = publicOf(key);
    SigstoreSignature good =
        ImageSigner.load(SignBy.sigstore(key, null))
            .sigstoreSignature(Reference.parse(IDENTITY), digest);

    byte[] payload = good.payload();
    payload[payload.length / 2] ^= 0x01;
    assertRefused(
        Reason.WRONG_KEY,
        "was changed",
        policy(pub, "t1"),
        manifest,
        new SigstoreSignature(payload, good.base64Signature()));

    byte[] sig = Base64.getDecoder().decode(good.base64Signature());
    sig[3] ^= 0x01;
    assertRefused(
        Reason.WRONG_KEY,
        "does not verify",
        policy(pub, "t2"),
        manifest,
        new SigstoreSignature(good.payload(), Base64.getEncoder().encodeToString(sig)));

    byte[] otherManifest =
        (new String(manifest, StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8);
    assertRefused(
        Reason.DIGEST_MISMATCH,
        "is for manifest " + digest,
        policy(pub, "t3"),
        otherManifest,
        good);

    assertRefused(Reason.NO_SIGNATURE, "has none", policy(pub, "t4"), manifest);

    // Without use-sigstore-attachments the attachments are not read at all.
    TrustPolicy off =
        PolicyFiles.write(
            dir.resolve("policy-off"),
            "localhost:5000/fx/multi",
            "{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + pub + "\"}",
            "default-docker:\n  use-sigstore-attachments: false\n");
    SignatureRefusedException e =
        assertThrows(
            SignatureRefusedException.class,
            () ->
                PolicyFiles.check(
                    off,
                    IDENTITY,
                    manifest,
                    d -> {
                      throw new AssertionError("attachments read");
                    }));
    assertEquals(Reason.NO_SIGNATURE, e.reason());

    TrustPolicy fulcio =
        PolicyFiles.write(
            dir.resolve("policy-fulcio"),
            "localhost:5000/fx/multi",
            "{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"/x\",\"oidcIssuer\":\"https://o\",\"subjectEmail\":\"a@b\"},\"rekorPublicKeyPath\":\"/r\"}",
            "default-docker:\n  use-sigstore-attachments: true\n");
    SignatureRefusedException u =
        assertThrows(
            SignatureRefusedException.class,
            () -> PolicyFiles.check(fulcio, IDENTITY, manifest, d -> List.of(good)));
    assertEquals(Reason.UNSUPPORTED, u.reason());
    assertTrue(u.getMessage().contains("not supported"), u.getMessage());
  }

  private static void assertRefused(
      Reason reason, String text, TrustPolicy policy, byte[] manifest, SigstoreSignature... sigs) {
    SignatureRefusedException e =
        assertThrows(
            SignatureRefusedException.class,
            () -> PolicyFiles.check(policy, IDENTITY, manifest, d -> List.of(sigs)));
    assertEquals(reason, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  /** cosign's encrypted PEM of an openssl PKCS#8 key. */
  private static void encrypt(Path plainPem, Path to, char[] passphrase, String type)
      throws IOException {
    byte[] pkcs8;
    try (PemReader r = new PemReader(Files.newBufferedReader(plainPem))) {
      pkcs8 = r.readPemObject().getContent();
    }
    byte[] salt = new byte[32];
    byte[] nonce = new byte[24];
    new java.security.SecureRandom().nextBytes(salt);
    new java.security.SecureRandom().nextBytes(nonce);
    try (PemWriter w = new PemWriter(Files.newBufferedWriter(to))) {
      w.writeObject(
          new PemObject(type, CosignEncryptedKey.encrypt(pkcs8, passphrase, salt, nonce)));
    }
  }
}

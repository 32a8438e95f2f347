package io.layerstore.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import io.layerstore.SignBy;
import io.layerstore.SignatureRefusedException;
import io.layerstore.SignatureRefusedException.Reason;
import io.layerstore.Verification;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenPGP simple signing against the real tools: gpg makes the keys, skopeo (containers/image)
 * verifies our signatures and makes signatures we must accept, and every hostile or tampered input
 * ends in a refusal that names its reason.
 */
class OpenPgpSigningTest {

  private static final String IDENTITY = "localhost:5000/fx/multi:1";

  @TempDir static Path dir;
  private static GpgHome gpg;
  private static String fprA;
  private static String fprB;
  private static Path secretA;
  private static Path publicA;
  private static Path publicAArmored;
  private static Path publicB;
  private static Path manifest;
  private static byte[] manifestBytes;
  private static Digest digest;

  @AfterAll
  static void stopAgent() throws IOException {
    if (gpg != null) {
      gpg.close();
    }
  }

  @BeforeAll
  static void keys() throws IOException {
    Tools.require("gpg");
    gpg = new GpgHome(dir.resolve("gnupg"));
    // Ed25519 (gpg 2.3's default) for the key we sign with most, RSA (gpg 2.2's) for others.
    fprA = gpg.newKey("Signer A <a@example.com>", "ed25519");
    fprB = gpg.newKey("Other B <b@example.com>", "rsa2048");
    secretA = gpg.exportSecret(fprA, dir.resolve("a.secret.asc"));
    publicA = gpg.exportPublic(fprA, dir.resolve("a.gpg"), false);
    publicAArmored = gpg.exportPublic(fprA, dir.resolve("a.asc"), true);
    publicB = gpg.exportPublic(fprB, dir.resolve("b.gpg"), false);
    manifest = DirImage.fixtureManifest();
    manifestBytes = Files.readAllBytes(manifest);
    digest = Digest.of(manifestBytes);
  }

  private static byte[] ourSignature(String identity, Digest d) throws IOException {
    ImageSigner signer =
        ImageSigner.load(SignBy.openPgp(secretA, GpgHome.PASSPHRASE.toCharArray()));
    return signer.simpleSignature(Reference.parse(identity), d);
  }

  private static Path write(String name, byte[] data) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, data);
    return p;
  }

  @Test
  void skopeoVerifiesOurSignatureAndRefusesItForAnotherKey() throws IOException {
    Path sig = write("ours.sig", ourSignature(IDENTITY, digest));
    Tools.Result ok = standaloneVerify(fprA, sig).ok();
    assertTrue(ok.out().contains(digest.toString()), ok.out());
    Tools.Result other = standaloneVerify(fprB, sig);
    assertNotEquals(0, other.exit(), other.out());
    assertTrue(other.err().contains("not accepted") || other.err().contains(fprA), other.err());
  }

  private static Tools.Result standaloneVerify(String fingerprint, Path signature)
      throws IOException {
    return Tools.run(
        gpg.env(),
        null,
        "skopeo",
        "standalone-verify",
        manifest.toString(),
        IDENTITY,
        fingerprint,
        signature.toString());
  }

  @Test
  void skopeoCopyAcceptsOurSignatureUnderSignedByPolicyAndRefusesAnotherKey() throws IOException {
    Path src = DirImage.copyFixture(dir.resolve("copy-src"));
    Files.write(src.resolve("signature-1"), ourSignature(IDENTITY, DirImage.manifestDigest(src)));
    for (Path key : List.of(publicA, publicB)) {
      Path policy =
          DirImage.policy(
              dir.resolve("skopeo-policy.json"),
              "\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"" + key + "\"",
              IDENTITY);
      Tools.Result r = DirImage.copy(policy, src, dir.resolve("copy-dst-" + key.getFileName()));
      if (key == publicA) {
        r.ok();
      } else {
        assertNotEquals(0, r.exit(), "skopeo accepted a signature under another key");
        assertTrue(r.err().contains("Source image rejected"), r.err());
      }
    }
  }

  @Test
  void weAcceptSkopeosSignatureAndRefuseItUnderAnotherKey() throws IOException {
    byte[] signature = skopeoSign(IDENTITY);
    Lookaside lookaside = lookaside("skopeo", signature);

    Verification v = check(lookaside, publicAArmored, IDENTITY, manifestBytes);
    assertEquals(1, v.accepted().size());
    assertEquals("signedBy", v.accepted().get(0).requirement());
    assertEquals(fprA, v.accepted().get(0).signer());
    assertEquals(IDENTITY, v.accepted().get(0).signedIdentity());
    assertEquals(digest, v.manifestDigest());
    assertEquals("transports.docker[\"localhost:5000/fx\"]", v.scope());

    SignatureRefusedException e =
        assertThrows(
            SignatureRefusedException.class,
            () -> check(lookaside, publicB, IDENTITY, manifestBytes));
    assertEquals(Reason.WRONG_KEY, e.reason());
    assertEquals("signedBy", e.requirement());
    assertTrue(e.getMessage().contains("does not trust"), e.getMessage());
  }

  @Test
  void ourPayloadIsByteForByteWhatContainersImageWrites() throws Exception {
    // A name with a port, dashes and dots: Go's encoding of it must be ours.
    byte[] signature = skopeoSign("localhost:5000/a-b/c.d:v1.0-x");
    byte[] payload =
        PgpVerifier.verify(
                signature, PgpKeyring.parse(Files.readAllBytes(publicA), "a"), new java.util.Date())
            .payload();
    SignaturePayload parsed = parsePayload(payload);
    assertArrayEquals(payload, parsed.toJson(), new String(payload, StandardCharsets.UTF_8));
    // skopeo fills both optional fields, so both orders of writing them are exercised.
    assertTrue(parsed.creator() != null && parsed.timestamp() != null, parsed.toString());

    // And ours round-trips through gpg's own reading of the message.
    Path oursFile = write("ours-roundtrip.sig", ourSignature(IDENTITY, digest));
    byte[] decoded =
        Tools.run(gpg.env(), null, "gpg", "--batch", "--quiet", "--decrypt", oursFile.toString())
            .ok()
            .out()
            .getBytes(StandardCharsets.UTF_8);
    SignaturePayload ours = parsePayload(decoded);
    assertEquals(IDENTITY, ours.dockerReference());
    assertEquals(digest, ours.manifestDigest());
    assertTrue(ours.creator().startsWith("layerstore "), ours.creator());
    assertTrue(Math.abs(ours.timestamp() - System.currentTimeMillis() / 1000) < 600);
    assertArrayEquals(decoded, ours.toJson());
  }

  private static SignaturePayload parsePayload(byte[] payload) {
    try {
      return SignaturePayload.parse(payload, SignaturePayload.SIMPLE_SIGNING);
    } catch (Refusal r) {
      throw new AssertionError(r.getMessage(), r);
    }
  }

  @Test
  void tamperedSignaturePayloadOrManifestIsRefusedWithTheReason() throws IOException {
    // gpg without compression, so the payload's bytes are in the clear and one can be changed.
    Path payload = payloadFile();
    Path clear = dir.resolve("clear.sig");
    gpg.gpg(
            "-z",
            "0",
            "--local-user",
            fprA,
            "--output",
            clear.toString(),
            "--sign",
            payload.toString())
        .ok();
    byte[] good = Files.readAllBytes(clear);
    assertEquals(
        fprA,
        check(lookaside("tamper-good", good), publicA, IDENTITY, manifestBytes)
            .accepted()
            .get(0)
            .signer());

    byte[] payloadChanged = good.clone();
    int at = indexOf(payloadChanged, digest.hex().getBytes(StandardCharsets.US_ASCII));
    payloadChanged[at] = (byte) (payloadChanged[at] == 'a' ? 'b' : 'a');
    assertRefused(
        Reason.INVALID_SIGNATURE,
        "does not verify",
        lookaside("tamper-payload", payloadChanged),
        publicA,
        manifestBytes);

    byte[] signatureChanged = good.clone();
    signatureChanged[signatureChanged.length - 10] ^= 0x01;
    assertRefused(
        Reason.INVALID_SIGNATURE,
        null,
        lookaside("tamper-sig", signatureChanged),
        publicA,
        manifestBytes);

    byte[] manifestChanged = Arrays.copyOf(manifestBytes, manifestBytes.length + 1);
    manifestChanged[manifestBytes.length] = ' ';
    // The signature is found under the changed manifest's digest, where an attacker would put it.
    Lookaside l = new Lookaside(dir.resolve("tamper-manifest").toUri());
    l.write(Reference.parse(IDENTITY), Digest.of(manifestChanged), good);
    assertRefused(Reason.DIGEST_MISMATCH, "is for manifest " + digest, l, publicA, manifestChanged);
  }

  @Test
  void hostileSignaturesAreRefusedWithTheReasonAndNothingIsWritten() throws IOException {
    byte[] ours = ourSignature(IDENTITY, digest);

    byte[] huge = new byte[Limits.MAX_SIGNATURE_BYTES + 4096];
    System.arraycopy(ours, 0, huge, 0, ours.length);
    assertRefused(
        Reason.INVALID_SIGNATURE, "more than", lookaside("huge", huge), publicA, manifestBytes);

    assertRefused(
        Reason.INVALID_SIGNATURE,
        null,
        lookaside("truncated", Arrays.copyOf(ours, ours.length / 2)),
        publicA,
        manifestBytes);

    assertRefused(
        Reason.INVALID_SIGNATURE,
        "PGPPublicKeyRing",
        lookaside("a-key", Files.readAllBytes(publicA)),
        publicA,
        manifestBytes);

    Path payload = payloadFile();
    Path detached = dir.resolve("detached.sig");
    gpg.gpg(
            "--local-user",
            fprA,
            "--output",
            detached.toString(),
            "--detach-sign",
            payload.toString())
        .ok();
    assertRefused(
        Reason.INVALID_SIGNATURE,
        "PGPSignatureList",
        lookaside("detached", Files.readAllBytes(detached)),
        publicA,
        manifestBytes);

    Path encrypted = dir.resolve("encrypted.gpg");
    gpg.gpg("--output", encrypted.toString(), "--symmetric", payload.toString()).ok();
    assertRefused(
        Reason.INVALID_SIGNATURE,
        "PGPEncryptedDataList",
        lookaside("encrypted", Files.readAllBytes(encrypted)),
        publicA,
        manifestBytes);

    Digest other = Digest.of("another manifest");
    assertRefused(
        Reason.DIGEST_MISMATCH,
        "is for manifest " + other,
        lookaside("other-digest", ourSignature(IDENTITY, other)),
        publicA,
        manifestBytes);

    assertRefused(
        Reason.IDENTITY_MISMATCH,
        "localhost:5000/fx/other:1",
        lookaside("other-identity", ourSignature("localhost:5000/fx/other:1", digest)),
        publicA,
        manifestBytes);

    assertRefused(
        Reason.NO_SIGNATURE,
        "has none",
        new Lookaside(dir.resolve("empty").toUri()),
        publicA,
        manifestBytes);
  }

  @Test
  void expiredAndRevokedKeysAreRefused() throws IOException {
    // In the class's home: each new GNUPGHOME costs a gpg-agent start.
    gpg.gpg(
            "--faked-system-time",
            "20200101T000000!",
            "--quick-gen-key",
            "Expired <x@example.com>",
            "rsa2048",
            "sign",
            "1d")
        .ok();
    String fpr = gpg.fingerprint("Expired <x@example.com>");
    Path secret = gpg.exportSecret(fpr, dir.resolve("expired.secret.asc"));
    Path pub = gpg.exportPublic(fpr, dir.resolve("expired.gpg"), false);
    byte[] sig =
        ImageSigner.load(SignBy.openPgp(secret, GpgHome.PASSPHRASE.toCharArray()))
            .simpleSignature(Reference.parse(IDENTITY), digest);
    assertRefused(
        Reason.EXPIRED, "expired on 2020-01-02", lookaside("expired", sig), pub, manifestBytes);

    String revokedFpr = gpg.newKey("Revoked <r@example.com>", "ed25519");
    Path revokedSecret = gpg.exportSecret(revokedFpr, dir.resolve("revoked.secret.asc"));
    // gpg writes a revocation certificate with every key, its armor line "escaped" by a colon.
    Path cert = gpg.home.resolve("openpgp-revocs.d").resolve(revokedFpr + ".rev");
    Path unescaped =
        write(
            "revoke.asc",
            Files.readString(cert)
                .replace(":-----BEGIN", "-----BEGIN")
                .getBytes(StandardCharsets.UTF_8));
    gpg.gpg("--import", unescaped.toString()).ok();
    Path revokedPub = gpg.exportPublic(revokedFpr, dir.resolve("revoked.gpg"), false);
    byte[] revokedSig =
        ImageSigner.load(SignBy.openPgp(revokedSecret, GpgHome.PASSPHRASE.toCharArray()))
            .simpleSignature(Reference.parse(IDENTITY), digest);
    assertRefused(
        Reason.REVOKED, "revoked", lookaside("revoked", revokedSig), revokedPub, manifestBytes);
  }

  @Test
  void wrongPassphraseAndNonKeysAreClearErrors() throws IOException {
    LayerStoreException wrong =
        assertThrows(
            LayerStoreException.class,
            () -> ImageSigner.load(SignBy.openPgp(secretA, "nope".toCharArray())));
    assertTrue(wrong.getMessage().contains("wrong passphrase"), wrong.getMessage());
    LayerStoreException notSecret =
        assertThrows(
            LayerStoreException.class,
            () -> ImageSigner.load(SignBy.openPgp(publicAArmored, new char[0])));
    assertTrue(notSecret.getMessage().contains(publicAArmored.toString()), notSecret.getMessage());
  }

  // --- helpers ---

  /** Our payload for the fixture manifest, as a file for gpg to sign in other ways. */
  private static Path payloadFile() throws IOException {
    return write(
        "payload.json",
        SignaturePayload.ours(SignaturePayload.SIMPLE_SIGNING, IDENTITY, digest).toJson());
  }

  /** skopeo's signature of the fixture manifest under {@code identity}, by key A. */
  private static byte[] skopeoSign(String identity) throws IOException {
    Path pass = write("pass", GpgHome.PASSPHRASE.getBytes(StandardCharsets.UTF_8));
    Path sig = Files.createTempFile(dir, "skopeo", ".sig");
    Tools.run(
            gpg.env(),
            null,
            "skopeo",
            "standalone-sign",
            "--passphrase-file",
            pass.toString(),
            manifest.toString(),
            identity,
            fprA,
            "--output",
            sig.toString())
        .ok();
    return Files.readAllBytes(sig);
  }

  /** A file:// lookaside holding one signature for the manifest, at the path skopeo uses. */
  private static Lookaside lookaside(String name, byte[] signature) throws IOException {
    Path base = dir.resolve("lookaside-" + name);
    // Written by hand, not by Lookaside.write: the layout is what is under test.
    Path file = base.resolve("fx/multi@sha256=" + digest.hex()).resolve("signature-1");
    Files.createDirectories(file.getParent());
    Files.write(file, signature);
    return new Lookaside(base.toUri());
  }

  private static Verification check(Lookaside lookaside, Path key, String identity, byte[] manifest)
      throws IOException {
    return PolicyFiles.check(
        PolicyFiles.write(
            dir.resolve("policy"),
            "localhost:5000/fx",
            "{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"" + key + "\"}",
            "docker:\n  localhost:5000/fx:\n    lookaside: " + lookaside.base() + "\n"),
        identity,
        manifest,
        d -> List.of());
  }

  private static void assertRefused(
      Reason reason, String text, Lookaside lookaside, Path key, byte[] manifest)
      throws IOException {
    Path base = Path.of(lookaside.base());
    List<Path> before = tree(base);
    SignatureRefusedException e =
        assertThrows(
            SignatureRefusedException.class, () -> check(lookaside, key, IDENTITY, manifest));
    assertEquals(reason, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("signedBy"), e.getMessage());
    assertTrue(e.getMessage().contains(IDENTITY), e.getMessage());
    if (text != null) {
      assertTrue(e.getMessage().contains(text), e.getMessage());
    }
    assertEquals(before, tree(base), "a refusal changed the lookaside");
  }

  private static List<Path> tree(Path base) throws IOException {
    if (!Files.exists(base)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(base)) {
      return s.sorted().toList();
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}

package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.CheckReport;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import io.layerstore.PullOptions;
import io.layerstore.PushOptions;
import io.layerstore.RegistryOptions;
import io.layerstore.SignBy;
import io.layerstore.SignatureRefusedException;
import io.layerstore.TrustPolicy;
import io.layerstore.Verification;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RegistryServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed images through a real loopback registry, with skopeo as the other side: our OpenPGP
 * signatures pass skopeo's signedBy policy and fail it under another key; skopeo's OpenPGP
 * signatures pass our pull and fail it under another key, storing nothing; our sigstore signatures,
 * attached as cosign attaches them, pass our pull and fail it under another key; the CLI's push,
 * pull and verify say the same. (Debian's skopeo has sigstore disabled, so it cannot check our
 * sigstore signatures.)
 */
class SignedImagesTest {

  private static final String PASSPHRASE = "correct horse";

  @TempDir static Path tmp;
  static RegistryServer registry;
  static Path gnupg;
  static String fprA;
  static Path secretA;
  static Path passFile;
  static Path registriesD;
  static Path lookaside;
  static Path sigstoreKey;
  static TrustPolicy byA;
  static TrustPolicy byB;
  static TrustPolicy bySigstoreKey;
  static TrustPolicy byOtherSigstoreKey;

  @BeforeAll
  static void start() throws Exception {
    PlatformRequirements.requireExecutable(RegistryServer.PROGRAM, "docker-registry");
    PlatformRequirements.requireExecutable("gpg", "gnupg");
    PlatformRequirements.requireExecutable("skopeo", "skopeo");
    PlatformRequirements.requireExecutable("openssl", "openssl");
    registry = RegistryServer.plain(tmp);
    gnupg = Files.createDirectories(tmp.resolve("gnupg"));
    Files.setPosixFilePermissions(
        gnupg, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    fprA = newKey("A <a@example.com>");
    String fprB = newKey("B <b@example.com>");
    secretA = tmp.resolve("a.secret.asc");
    Files.writeString(secretA, gpg("--armor", "--export-secret-keys", fprA));
    Path publicA = tmp.resolve("a.gpg");
    gpg("--output", publicA.toString(), "--export", fprA);
    Path publicB = tmp.resolve("b.gpg");
    gpg("--output", publicB.toString(), "--export", fprB);
    passFile = tmp.resolve("pass");
    Files.writeString(passFile, PASSPHRASE + "\n");

    sigstoreKey = tmp.resolve("cosign.pem");
    run(
        Map.of(),
        "openssl",
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        sigstoreKey.toString());
    Path sigstorePub = tmp.resolve("cosign.pub");
    run(
        Map.of(),
        "openssl",
        "pkey",
        "-in",
        sigstoreKey.toString(),
        "-pubout",
        "-out",
        sigstorePub.toString());
    Path otherKey = tmp.resolve("other.pem");
    run(Map.of(), "openssl", "genpkey", "-algorithm", "ed25519", "-out", otherKey.toString());
    Path otherPub = tmp.resolve("other.pub");
    run(
        Map.of(),
        "openssl",
        "pkey",
        "-in",
        otherKey.toString(),
        "-pubout",
        "-out",
        otherPub.toString());

    lookaside = Files.createDirectories(tmp.resolve("lookaside"));
    registriesD = Files.createDirectories(tmp.resolve("registries.d"));
    Files.writeString(
        registriesD.resolve("loopback.yaml"),
        "docker:\n  "
            + registry.hostPort()
            + ":\n    lookaside: "
            + lookaside.toUri()
            + "\n    use-sigstore-attachments: true\n");
    byA =
        policy(
            "a", "{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"" + publicA + "\"}");
    byB =
        policy(
            "b", "{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"" + publicB + "\"}");
    bySigstoreKey =
        policy("sigstore", "{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + sigstorePub + "\"}");
    byOtherSigstoreKey =
        policy("sigstore-other", "{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + otherPub + "\"}");
  }

  @AfterAll
  static void stop() throws Exception {
    if (gnupg != null) {
      run(Map.of("GNUPGHOME", gnupg.toString()), "gpgconf", "--kill", "all");
    }
    if (registry != null) {
      registry.close();
    }
  }

  private static TrustPolicy policy(String name, String requirement) throws IOException {
    Path p = tmp.resolve("policy-" + name + ".json");
    Files.writeString(
        p,
        "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\""
            + registry.hostPort()
            + "\":["
            + requirement
            + "]}}}");
    return TrustPolicy.fromFiles(p, registriesD);
  }

  private static String newKey(String uid) throws IOException {
    gpg("--quick-gen-key", uid, "ed25519", "sign", "never");
    for (String line : gpg("--with-colons", "--fingerprint", uid).split("\n")) {
      if (line.startsWith("fpr:")) {
        return line.split(":")[9];
      }
    }
    throw new IOException("no fingerprint for " + uid);
  }

  private static String gpg(String... args) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "gpg",
                "--batch",
                "--quiet",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                PASSPHRASE));
    cmd.addAll(List.of(args));
    Result r = run(Map.of("GNUPGHOME", gnupg.toString()), cmd.toArray(String[]::new));
    assertEquals(0, r.exit(), r.err());
    return r.out();
  }

  record Result(int exit, String out, String err) {}

  private static Result run(Map<String, String> env, String... command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    try {
      Process p = pb.start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish");
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static LayerStore open(Path root) throws IOException {
    return LayerStore.builder(root)
        .durable(false)
        .registry(RegistryOptions.builder().dockerConfigDir(tmp.resolve("docker-config")).build())
        .open();
  }

  private static String ref(String repoAndTag) {
    return registry.hostPort() + "/" + repoAndTag;
  }

  private static Digest pushFxMulti(String target, SignBy signBy) throws IOException {
    try (LayerStore s = open(Files.createTempDirectory(tmp, "push"))) {
      ImageId id = s.load(Fixtures.fxMultiArchive()).get(0);
      s.tag(id.toString(), target);
      return s.push(target, PushOptions.defaults().signBy(signBy).registriesD(registriesD));
    }
  }

  /** skopeo copy from the registry under a policy; its result. */
  private static Result skopeoPull(TrustPolicy policy, String ref) throws IOException {
    return run(
        Map.of(),
        "skopeo",
        "copy",
        "-q",
        "--src-tls-verify=false",
        "--policy",
        policy.policyFile().toString(),
        "--registries.d",
        registriesD.toString(),
        "docker://" + ref,
        "dir:" + tmp.resolve("skopeo-" + System.nanoTime()));
  }

  /** A pull the policy refuses stores nothing: no image, no tag, a clean store. */
  private static SignatureRefusedException assertRefusedAndNothingStored(
      String ref, TrustPolicy policy) throws IOException {
    try (LayerStore s = open(Files.createTempDirectory(tmp, "refused"))) {
      SignatureRefusedException e =
          assertThrows(
              SignatureRefusedException.class,
              () -> s.pull(ref, PullOptions.defaults().policy(policy)));
      assertTrue(s.images().isEmpty(), s.images()::toString);
      CheckReport r = s.check();
      assertTrue(r.isClean(), r.problems()::toString);
      return e;
    }
  }

  @Test
  void ourOpenPgpSignaturePassesSkopeosPolicyAndOurPullUnderItsKeyOnly() throws IOException {
    String target = ref("signed/pgp:1");
    Digest pushed = pushFxMulti(target, SignBy.openPgp(secretA, PASSPHRASE.toCharArray()));
    assertTrue(
        Files.exists(
            lookaside.resolve("signed/pgp@sha256=" + pushed.hex()).resolve("signature-1")));

    Result accepted = skopeoPull(byA, target);
    assertEquals(0, accepted.exit(), accepted.err());
    Result refused = skopeoPull(byB, target);
    assertNotEquals(0, refused.exit(), "skopeo accepted our signature under another key");
    assertTrue(refused.err().contains("Source image rejected"), refused.err());

    try (LayerStore s = open(Files.createTempDirectory(tmp, "pgp-ok"))) {
      assertEquals(pushed, s.pull(target, PullOptions.defaults().policy(byA)));
      Verification v = s.verify(target, byA);
      assertEquals(fprA, v.accepted().get(0).signer());
      assertEquals(pushed, v.manifestDigest());
    }
    SignatureRefusedException e = assertRefusedAndNothingStored(target, byB);
    assertEquals(SignatureRefusedException.Reason.WRONG_KEY, e.reason(), e.getMessage());
  }

  @Test
  void skopeosOpenPgpSignaturePassesOurPullUnderItsKeyOnlyAndARefusalStoresNothing()
      throws IOException {
    String target = ref("skopeo/pgp:1");
    Result signed =
        run(
            Map.of("GNUPGHOME", gnupg.toString()),
            "skopeo",
            "copy",
            "-q",
            "--dest-tls-verify=false",
            "--registries.d",
            registriesD.toString(),
            "--sign-by",
            fprA,
            "--sign-passphrase-file",
            passFile.toString(),
            "oci:" + Fixtures.fixtures().resolve("fx-multi.oci") + ":multi",
            "docker://" + target);
    assertEquals(0, signed.exit(), signed.err());
    try (LayerStore s = open(Files.createTempDirectory(tmp, "skopeo-ok"))) {
      Digest d = s.pull(target, PullOptions.defaults().policy(byA));
      assertEquals(fprA, s.verify(target, byA).accepted().get(0).signer());
      assertEquals(d, s.verify(target, byA).manifestDigest());
      SignatureRefusedException again =
          assertThrows(SignatureRefusedException.class, () -> s.verify(target, byB));
      assertEquals(SignatureRefusedException.Reason.WRONG_KEY, again.reason());
    }
    SignatureRefusedException e = assertRefusedAndNothingStored(target, byB);
    assertTrue(e.getMessage().contains("signedBy"), e.getMessage());
    Result copied =
        run(
            Map.of(),
            "skopeo",
            "copy",
            "-q",
            "--dest-tls-verify=false",
            "oci:" + Fixtures.fixtures().resolve("fx-multi.oci") + ":multi",
            "docker://" + ref("skopeo/unsigned:1"));
    assertEquals(0, copied.exit(), copied.err());
    SignatureRefusedException unsigned =
        assertRefusedAndNothingStored(ref("skopeo/unsigned:1"), byA);
    assertEquals(SignatureRefusedException.Reason.NO_SIGNATURE, unsigned.reason());
  }

  @Test
  void ourSigstoreSignatureIsAttachedAndPassesOurPullUnderItsKeyOnly() throws IOException {
    String target = ref("signed/sigstore:1");
    Digest pushed = pushFxMulti(target, SignBy.sigstore(sigstoreKey, null));
    Result raw =
        run(
            Map.of(),
            "skopeo",
            "inspect",
            "--raw",
            "--tls-verify=false",
            "docker://" + ref("signed/sigstore:sha256-" + pushed.hex() + ".sig"));
    assertEquals(0, raw.exit(), raw.err());
    assertTrue(raw.out().contains("dev.cosignproject.cosign/signature"), raw.out());

    try (LayerStore s = open(Files.createTempDirectory(tmp, "sigstore-ok"))) {
      assertEquals(pushed, s.pull(target, PullOptions.defaults().policy(bySigstoreKey)));
      assertEquals(
          "sigstoreSigned", s.verify(target, bySigstoreKey).accepted().get(0).requirement());
    }
    SignatureRefusedException e = assertRefusedAndNothingStored(target, byOtherSigstoreKey);
    assertEquals(SignatureRefusedException.Reason.WRONG_KEY, e.reason(), e.getMessage());

    // Where registries.d does not turn attachments on, nothing is pushed at all.
    Path off = Files.createDirectories(tmp.resolve("registries-off.d"));
    String unsigned = ref("signed/not-attached:1");
    try (LayerStore s = open(Files.createTempDirectory(tmp, "push-off"))) {
      ImageId id = s.load(Fixtures.fxMultiArchive()).get(0);
      s.tag(id.toString(), unsigned);
      LayerStoreException refused =
          assertThrows(
              LayerStoreException.class,
              () ->
                  s.push(
                      unsigned,
                      PushOptions.defaults()
                          .signBy(SignBy.sigstore(sigstoreKey, null))
                          .registriesD(off)));
      assertTrue(refused.getMessage().contains("use-sigstore-attachments"), refused.getMessage());
    }
    Result absent =
        run(Map.of(), "skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + unsigned);
    assertNotEquals(0, absent.exit(), "the image was pushed although signing was refused");
  }

  @Test
  void tamperedOrHostileLookasideSignaturesRefuseThePullAndStoreNothing() throws IOException {
    String target = ref("signed/tamper:1");
    Digest pushed = pushFxMulti(target, SignBy.openPgp(secretA, PASSPHRASE.toCharArray()));
    Path sig = lookaside.resolve("signed/tamper@sha256=" + pushed.hex()).resolve("signature-1");
    byte[] good = Files.readAllBytes(sig);
    try {
      byte[] flipped = good.clone();
      flipped[flipped.length / 2] ^= 0x01;
      Files.write(sig, flipped);
      assertEquals(
          SignatureRefusedException.Reason.INVALID_SIGNATURE,
          assertRefusedAndNothingStored(target, byA).reason());

      Files.write(sig, java.util.Arrays.copyOf(good, good.length - 20));
      assertEquals(
          SignatureRefusedException.Reason.INVALID_SIGNATURE,
          assertRefusedAndNothingStored(target, byA).reason());

      byte[] huge = java.util.Arrays.copyOf(good, 5 << 20);
      Files.write(sig, huge);
      SignatureRefusedException e = assertRefusedAndNothingStored(target, byA);
      assertTrue(e.getMessage().contains("more than"), e.getMessage());
    } finally {
      Files.write(sig, good);
    }
  }

  @Test
  void cliSignsOnPushChecksOnPullAndVerifies() throws IOException {
    Path root = tmp.resolve("cli");
    String target = ref("cli/signed:1");
    try (LayerStore s = open(root)) {
      ImageId id = s.load(Fixtures.fxMultiArchive()).get(0);
      s.tag(id.toString(), target);
    }
    String pushed =
        cli(
            root,
            0,
            "push",
            "--sign-by-key",
            secretA.toString(),
            "--sign-passphrase-file",
            passFile.toString(),
            "--registries.d",
            registriesD.toString(),
            target);
    assertTrue(pushed.contains("Signed " + target + " (OPENPGP)"), pushed);
    Path other = tmp.resolve("cli-other");
    String pulled =
        cli(
            other,
            0,
            "pull",
            "--policy",
            byA.policyFile().toString(),
            "--registries.d",
            registriesD.toString(),
            target);
    assertTrue(pulled.contains("Digest: sha256:"), pulled);
    String verified =
        cli(
            other,
            0,
            "verify",
            "--policy",
            byA.policyFile().toString(),
            "--registries.d",
            registriesD.toString(),
            target);
    assertTrue(verified.contains("signedBy") && verified.contains(fprA), verified);
    String refused =
        cli(
            other,
            1,
            "verify",
            "--policy",
            byB.policyFile().toString(),
            "--registries.d",
            registriesD.toString(),
            target);
    assertTrue(refused.contains("WRONG_KEY") || refused.contains("does not trust"), refused);
  }

  /** Runs the CLI in-process; stdout, or stderr when a failure is expected. */
  private static String cli(Path root, int expected, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("--root", root.toString()));
    all.addAll(List.of(args));
    int status =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))
            .run(all.toArray(String[]::new));
    assertEquals(
        expected, status, String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8));
    return (expected == 0 ? out : err).toString(StandardCharsets.UTF_8);
  }
}

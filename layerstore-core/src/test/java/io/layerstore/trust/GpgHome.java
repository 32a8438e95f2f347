package io.layerstore.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A private GNUPGHOME with keys made by gpg itself (never the user's keyring): each key has a
 * passphrase, and is exported the ways users export keys.
 */
final class GpgHome {

  static final String PASSPHRASE = "correct horse";

  final Path home;

  GpgHome(Path dir) throws IOException {
    home = Files.createDirectories(dir);
    Files.setPosixFilePermissions(
        home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
  }

  /** Stops the gpg-agent this home started, which would otherwise outlive the test. */
  void close() throws IOException {
    Tools.run(env(), null, "gpgconf", "--kill", "all");
  }

  Map<String, String> env() {
    return Map.of("GNUPGHOME", home.toString());
  }

  Tools.Result gpg(String... args) throws IOException {
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
    return Tools.run(env(), null, cmd.toArray(String[]::new));
  }

  /** A new key ({@code ed25519}, {@code rsa2048}, ...), returning its fingerprint. */
  String newKey(String uid, String algorithm, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(extra));
    cmd.addAll(List.of("--quick-gen-key", uid, algorithm, "sign", "never"));
    gpg(cmd.toArray(String[]::new)).ok();
    return fingerprint(uid);
  }

  String fingerprint(String uid) throws IOException {
    String out = gpg("--with-colons", "--fingerprint", uid).ok().out();
    for (String line : out.split("\n")) {
      if (line.startsWith("fpr:")) {
        return line.split(":")[9];
      }
    }
    throw new IOException("no fingerprint for " + uid + ": " + out);
  }

  Path exportSecret(String fpr, Path to) throws IOException {
    Files.writeString(to, gpg("--armor", "--export-secret-keys", fpr).ok().out());
    return to;
  }

  Path exportPublic(String fpr, Path to, boolean armored) throws IOException {
    if (armored) {
      gpg("--armor", "--output", to.toString(), "--export", fpr).ok();
    } else {
      gpg("--output", to.toString(), "--export", fpr).ok();
    }
    return to;
  }

  byte[] read(Path p) throws IOException {
    return Files.readAllBytes(p);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}

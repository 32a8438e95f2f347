package io.layerstore.trust;

import io.layerstore.Reference;
import io.layerstore.TrustPolicy;
import io.layerstore.Verification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a policy.json with one docker scope and a registries.d file, and applies them. */
final class PolicyFiles {

  private PolicyFiles() {}

  static TrustPolicy write(Path dir, String scope, String requirement, String registriesYaml)
      throws IOException {
    Files.createDirectories(dir);
    Path policy = dir.resolve("policy.json");
    Files.writeString(
        policy,
        "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\""
            + scope
            + "\":["
            + requirement
            + "]}}}");
    Path registries = Files.createDirectories(dir.resolve("registries.d"));
    Files.writeString(registries.resolve("test.yaml"), registriesYaml);
    return TrustPolicy.fromFiles(policy, registries);
  }

  static Verification check(
      TrustPolicy policy,
      String reference,
      byte[] manifest,
      TrustChecker.SigstoreAttachments attachments)
      throws IOException {
    return TrustChecker.load(policy).check(Reference.parse(reference), manifest, attachments);
  }
}
